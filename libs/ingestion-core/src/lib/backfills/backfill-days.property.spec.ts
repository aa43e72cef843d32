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
  type Backfill,
  type BackfillRepository,
  type StoredBackfill,
} from './backfills.service';

const DAY_MS = 86_400_000;
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

  it.each(['2030-06-01', '1850-06-01', '1969-12-31', '9999-12-31', '0000-01-01', '2026-12-03'])(
    'refuses a backfill of %s with 400 naming from and to, and produces nothing',
    async (day) => {
      const { outcome, events } = await backfill({ from: day, to: day, perDay: 1 }, at0259);
      expect([outcome.status, namedFields(outcome)]).toEqual([400, ['from', 'to']]);
      expect(events).toEqual([]);
    },
  );

  it('stamps each day’s people on that day, today’s after the request, and enrichment takes all of them', async () => {
    const { outcome, events } = await backfill({ from: '2026-12-01', to: '2026-12-02', perDay: 10 }, at0259);
    expect(outcome.status).toBe(202);
    expect(events.map((e) => e.producedAt)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `2026-12-01T23:59:59.9999${90 + i}Z`),
      ...Array.from({ length: 10 }, (_, i) => `2026-12-02T02:59:00.00000${i}Z`),
    ]);
    expect(refusedByEnrichment(events)).toEqual([]);
  });

  it('for any request it accepts, stamps every person on their own day and makes only people enrichment takes; a day after today or before 1970 is a 400 naming it', async () => {
    const now = fc.oneof(
      fc.constantFrom(
        at0259,
        Date.parse('2024-02-29T23:59:59.999Z'),
        Date.parse('2028-03-01T00:00:00.000Z'),
        Date.parse('1970-01-02T00:00:00.500Z'),
      ),
      fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }),
    );
    const request = now.chain((t) => {
      const { earliest, latest } = backfillDayRange(new Date(t));
      const [first, last] = [Date.parse(earliest), Date.parse(latest)];
      const edge = fc.constantFrom(first - DAY_MS, first, first + DAY_MS, last - DAY_MS, last, last + DAY_MS);
      const anyDay = fc.integer({ min: -400, max: Math.round((last - first) / DAY_MS) + 400 });
      return fc.record({
        now: fc.constant(t),
        from: fc.oneof(
          edge,
          anyDay.map((d) => first + d * DAY_MS),
        ),
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
        // Judged apart from the service's own range: after today, or before the epoch's day.
        const bad = (['from', 'to'] as const).filter((f) => body[f] > dayOf(t) || body[f] < '1970-01-01');
        if (outcome.status === 202) {
          expect(bad).toEqual([]);
          expect(events).toHaveLength(days * perDay);
          expect(refusedByEnrichment(events)).toEqual([]);
          const { eventTimes } = outcome.body as Backfill;
          events.forEach((e, i) => {
            // Each person on the day of their batch, in order, never after the request was answered.
            expect(e.producedAt.slice(0, 10)).toBe(e.batchId.slice(-10));
            if (i > 0) expect(e.producedAt > events[i - 1].producedAt).toBe(true);
            expect(Date.parse(e.producedAt)).toBeLessThanOrEqual(t + 1);
            expect(e.producedAt >= eventTimes.first && e.producedAt <= eventTimes.last).toBe(true);
          });
          expect([events[0].producedAt, events.at(-1)?.producedAt]).toEqual([
            eventTimes.first,
            eventTimes.last,
          ]);
        } else {
          expect(outcome.status).toBe(400);
          expect(events).toEqual([]);
          expect(bad.length).toBeGreaterThan(0);
          expect(namedFields(outcome)).toEqual(expect.arrayContaining(bad));
        }
        return true;
      }),
      { seed: 20261202, numRuns: 200 },
    );
  }, 120_000);

  it('keeps a large batch of the request’s own day on that day when it is asked for just before midnight', async () => {
    const { outcome, events } = await backfill(
      { from: '2026-12-02', to: '2026-12-02', perDay: 20_000, seed: 'midnight' },
      Date.parse('2026-12-02T23:59:59.990Z'),
    );
    expect(outcome.status).toBe(202);
    expect(events).toHaveLength(20_000);
    expect(events.filter((e) => !e.producedAt.startsWith('2026-12-02'))).toEqual([]);
    expect(refusedByEnrichment(events)).toEqual([]);
  }, 60_000);

  it('makes the same people for the same seed and past day whatever the batch size', async () => {
    const at = Date.parse('2026-12-02T10:00:00.000Z');
    const small = await backfill({ from: '2026-11-01', to: '2026-11-01', perDay: 3, seed: 'sizes' }, at);
    const large = await backfill(
      { from: '2026-11-01', to: '2026-11-01', perDay: 1500, seed: 'sizes' },
      at + 5000,
    );
    expect(large.events.slice(0, 3).map((e) => e.payload)).toEqual(small.events.map((e) => e.payload));
  }, 60_000);

  it('takes the first day of 1970, whose oldest people were born 77 years before it', async () => {
    const { outcome, events } = await backfill({ from: '1970-01-01', to: '1970-01-01', perDay: 50 }, at0259);
    expect(outcome.status).toBe(202);
    expect(events[0].producedAt).toBe('1970-01-01T23:59:59.999950Z');
    expect(refusedByEnrichment(events)).toEqual([]);
    // The oldest person any seed may make for the day is taken at its events' time too.
    const [person] = generateUsers({ seed: 'edge', count: 1, day: '1970-01-01' });
    const oldest = {
      ...person,
      dob: { ...person.dob, date: new Date(earliestBirthOn('1970-01-01')).toISOString() },
    };
    expect(enrichUser(oldest, new Date(events[0].producedAt))).toMatchObject({ ok: true });
  });
});
