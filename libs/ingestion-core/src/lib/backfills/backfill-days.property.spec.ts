import fc from 'fast-check';
import type { RawUserEvent } from '@sparkflow/contracts';
// The promise under test is enrichment's acceptance of what a backfill makes: its own pure validation is the judge.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { enrichUser } from '@sparkflow/enrichment-core';
import type { EventProducer } from '@sparkflow/kafka';
import { earliestBirthOn, generateUsers } from '@sparkflow/sources';
import { recordingProducer } from '@sparkflow/testing';
import { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import {
  BackfillsService,
  backfillDayRange,
  backfillPeople,
  type BackfillRepository,
  type StoredBackfill,
} from './backfills.service';

const DAY_MS = 86_400_000;
const YEAR_MS = 365.2425 * DAY_MS;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A store that takes every backfill and its progress, so the service produces it all at once. */
const acceptingStore = (): BackfillRepository => ({
  owner: 'spec',
  leaseSeconds: 30,
  create: async () => true,
  get: async (): Promise<StoredBackfill | null> => null,
  running: async () => ({ backfills: [], more: false }),
  claimExpired: async (): Promise<StoredBackfill | null> => null,
  recordProgress: async () => true,
  renew: async () => true,
  cancel: async () => false,
  finish: async () => true,
  release: async () => true,
});

/** A backfill requested at `now` through the service, and every event it produced once it is done. */
async function backfill(body: unknown, now: number) {
  const { producer, sent } = recordingProducer<RawUserEvent>();
  const service = new BackfillsService(
    new IngestUsersUseCase(producer as unknown as EventProducer),
    backfillPeople,
    acceptingStore(),
    { pollMs: 60_000, now: () => now },
  );
  const outcome = await service.request(body);
  if (outcome.status === 202) await service.settled((outcome.body as { id: string }).id);
  return { outcome, events: sent.flatMap((s) => s.events.map((e) => e.event)) };
}

/** Each produced person enrichment refuses at its event time, as enrichment reads it, with the reasons. */
const refusedByEnrichment = (events: RawUserEvent[]) =>
  events
    .map((e) => ({ e, result: enrichUser(e.payload, new Date(e.producedAt)) }))
    .filter(({ result }) => !result.ok)
    .map(({ e, result }) => ({ registered: e.payload.registered, dob: e.payload.dob, result }));

const namedFields = (outcome: Awaited<ReturnType<typeof backfill>>['outcome']) =>
  outcome.status === 400 && outcome.body.code === 'SCHEMA_INVALID'
    ? outcome.body.reasons
        .filter((r) => r.code === 'SCHEMA_INVALID')
        .map((r) => r.path)
        .sort()
    : [];

describe('POST /v1/backfills and enrichment', () => {
  const at0259 = Date.parse('2026-12-02T02:59:00.000Z');

  it.each(['2030-06-01', '1850-06-01', '9999-12-31', '0000-01-01', '2026-12-03'])(
    'refuses a backfill of %s with 400 naming from and to, and produces nothing',
    async (day) => {
      const { outcome, events } = await backfill({ from: day, to: day, perDay: 1 }, at0259);
      expect([outcome.status, namedFields(outcome)]).toEqual([400, ['from', 'to']]);
      expect(events).toEqual([]);
    },
  );

  it('makes today’s people registered by the time the backfill was requested, so enrichment takes all of them', async () => {
    const { outcome, events } = await backfill({ from: '2026-12-01', to: '2026-12-02', perDay: 10 }, at0259);
    expect(outcome.status).toBe(202);
    expect(events).toHaveLength(20);
    expect(refusedByEnrichment(events)).toEqual([]);
  });

  it('for any request it accepts, makes only people enrichment takes; any day after today or too far back is a 400 naming it', async () => {
    const now = fc.oneof(
      fc.constantFrom(at0259, Date.parse('2024-02-29T23:59:59.999Z'), Date.parse('2028-03-01T00:00:00.000Z')),
      fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2200, 0, 1) }),
    );
    const request = now.chain((t) => {
      const { earliest, latest } = backfillDayRange(new Date(t), 12);
      const [first, last] = [Date.parse(earliest), Date.parse(latest)];
      const edge = fc.constantFrom(first - DAY_MS, first, first + DAY_MS, last - DAY_MS, last, last + DAY_MS);
      const anyDay = fc.integer({ min: -400, max: Math.round((last - first) / DAY_MS) + 400 });
      const from = fc.oneof(
        edge,
        anyDay.map((d) => first + d * DAY_MS),
      );
      return fc.record({
        now: fc.constant(t),
        from,
        days: fc.integer({ min: 1, max: 3 }),
        perDay: fc.integer({ min: 1, max: 4 }),
        seed: fc
          .string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' })
          .filter((s) => s.trim() !== ''),
      });
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ now: t, from, days, perDay, seed }) => {
        const body = { from: dayOf(from), to: dayOf(from + (days - 1) * DAY_MS), perDay, seed };
        const { outcome, events } = await backfill(body, t);
        const today = dayOf(t);
        // Judged apart from the service's own range: after today, or well beyond 130 - 77 years back.
        const tooLate = (day: string) => day > today;
        const tooEarly = (day: string) => Date.parse(day) < t - 53.1 * YEAR_MS;
        const surelyFine = (day: string) => !tooLate(day) && Date.parse(day) > t - 52.9 * YEAR_MS;
        const bad = (['from', 'to'] as const).filter((f) => tooLate(body[f]) || tooEarly(body[f]));
        if (outcome.status === 202) {
          expect(bad).toEqual([]);
          expect(events).toHaveLength(days * perDay);
          expect(refusedByEnrichment(events)).toEqual([]);
          // The oldest person any seed may make for the first day, at the backfill's last event time.
          const [person] = generateUsers({ seed, count: 1, day: body.from, registeredBy: t });
          const oldest = {
            ...person,
            dob: { ...person.dob, date: new Date(earliestBirthOn(body.from)).toISOString() },
          };
          const last = new Date(t + Math.ceil((days * perDay) / 1000));
          expect(enrichUser(oldest, last)).toMatchObject({ ok: true });
        } else {
          expect(outcome.status).toBe(400);
          expect(events).toEqual([]);
          expect(namedFields(outcome)).toEqual(expect.arrayContaining(bad));
          expect(surelyFine(body.from) && surelyFine(body.to)).toBe(false);
        }
        return true;
      }),
      { seed: 20261202, numRuns: 200 },
    );
  }, 120_000);

  it('could not take the day before the earliest one: a person it may hold is born too long ago', () => {
    const now = new Date(at0259);
    const { earliest } = backfillDayRange(now, 1);
    const dayBefore = dayOf(Date.parse(earliest) - DAY_MS);
    const [person] = generateUsers({ seed: 'edge', count: 1, day: dayBefore });
    const oldest = new Date(Date.parse(`${earliest}T23:59:59.999Z`) - Math.floor(77 * YEAR_MS) - DAY_MS);
    const result = enrichUser({ ...person, dob: { ...person.dob, date: oldest.toISOString() } }, now);
    expect(result.ok ? [] : result.reasons.map((r) => r.path)).toEqual(['dob.date']);
  });
});
