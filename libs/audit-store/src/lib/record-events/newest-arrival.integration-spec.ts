import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import fc from 'fast-check';
import { SparkflowErrorCode, type DeadLetterReason } from '@sparkflow/contracts';
import { scratchPostgresDatabase, uniqueName, type ScratchDatabase } from '@sparkflow/testing';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditQueriesUseCase } from '../queries/audit-queries.use-case';
import { AuditEventsRepository, type AuditRow } from './audit-events.repository';

const reason = (path: string, message: string): DeadLetterReason => ({
  code: SparkflowErrorCode.SchemaInvalid,
  message,
  path,
});

/**
 * Invariant: each (event, topic) row holds the newest of the event's arrivals on that topic, by
 * (placed, produced_at, partition, offset). So a redelivered record changes no cell, a later arrival is
 * the row's current state, and any order of the same arrivals, redeliveries included, ends in the rows
 * that applying them one by one in offset order gives.
 */
describe('the audit keeps the newest arrival of an event on each topic, on the local PostgreSQL', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  let repo: AuditEventsRepository;
  let queries: AuditQueriesUseCase;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_newest_arrival', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
    repo = new AuditEventsRepository(ds);
    queries = new AuditQueriesUseCase(repo);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  /** Every column of every row of the events, as PostgreSQL holds it, in a fixed order. */
  const cells = async (eventIds: string[]): Promise<Record<string, unknown>[]> =>
    ds.query(
      `SELECT event_id, topic, outcome, user_id, batch_id, source, partition, "offset"::text AS "offset",
         produced_at::text AS produced_at, recorded_at::text AS recorded_at, reasons::text AS reasons
       FROM audit_events WHERE event_id = ANY($1::uuid[]) ORDER BY event_id, topic`,
      [eventIds],
    );

  it('shows the later dead letter of a replayed event, ignores a redelivery of the first, then shows it persisted', async () => {
    const batchId = uniqueName('batch');
    const eventId = randomUUID();
    const userId = randomUUID();
    const at = (t: string) => new Date(`2026-12-02T0${t}Z`);
    const row = (
      topic: string,
      outcome: AuditRow['outcome'],
      partition: number,
      offset: string,
      producedAt: Date,
      reasons: DeadLetterReason[] | null = null,
    ): AuditRow => ({
      eventId,
      topic,
      outcome,
      userId,
      batchId,
      source: 'http-push',
      partition,
      offset,
      producedAt,
      appendedAt: null,
      reasons,
    });
    const raw = row('users.raw', 'ingested', 2, '100', at('1:00:00.000'));
    const firstFailure = [reason('email', 'Invalid email')];
    const firstDeadLetter = row('users.dlq', 'dead-lettered', 0, '40', at('1:00:00.200'), firstFailure);
    await repo.record([raw, firstDeadLetter], [{ batchId, source: 'http-push', expectedCount: 1 }]);

    // Corrected and replayed (same event id, stamped at the replay), it fails again on another field.
    const secondFailure = [reason('name.first', 'Required')];
    const replayed = row('users.raw', 'ingested', 2, '180', at('2:00:00.000'));
    const secondDeadLetter = row('users.dlq', 'dead-lettered', 0, '73', at('2:00:00.300'), secondFailure);
    await repo.record([replayed], []);
    await repo.record([secondDeadLetter], []);

    const lineage = await queries.eventLineage(eventId);
    expect(lineage?.stages.map((e) => [e.topic, e.offset, e.producedAt, e.reasons])).toEqual([
      ['users.raw', '180', '2026-12-02T02:00:00.000Z', null],
      ['users.dlq', '73', '2026-12-02T02:00:00.300Z', secondFailure],
    ]);
    expect((await repo.userHistory(userId, 100)).rows.map((e) => e.reasons)).toEqual([null, secondFailure]);
    expect(await queries.batchReport(batchId)).toMatchObject({
      expected: 1,
      ingested: 1,
      deadLettered: 1,
      persisted: 0,
      complete: true,
    });

    // Redelivered, in one call and then alone, the first records and the current ones change no cell.
    const before = await cells([eventId]);
    await repo.record([firstDeadLetter, raw, secondDeadLetter, firstDeadLetter], []);
    await repo.record([raw], []);
    await repo.record([replayed, secondDeadLetter], []);
    expect(await cells([eventId])).toEqual(before);

    // Corrected again, it is persisted: the latest fate, in the lineage and in the batch's counts.
    const persistedRaw = row('users.raw', 'ingested', 2, '240', at('3:00:00.000'));
    await repo.record([persistedRaw], []);
    await repo.record(
      [
        row('users.enriched', 'enriched', 1, '90', at('3:00:00.100')),
        row('users.persisted', 'persisted', 1, '91', at('3:00:00.200')),
      ],
      [],
    );
    const settled = await queries.eventLineage(eventId);
    expect(settled?.stages.map((e) => [e.topic, e.offset, e.reasons]).sort()).toEqual([
      ['users.dlq', '73', secondFailure],
      ['users.enriched', '90', null],
      ['users.persisted', '91', null],
      ['users.raw', '240', null],
    ]);
    expect(settled?.stages.at(-1)?.outcome).toBe('persisted');
    expect(await queries.batchReport(batchId)).toMatchObject({
      ingested: 1,
      enriched: 1,
      deadLettered: 0,
      persisted: 1,
      complete: true,
    });
  });

  it('places a person ingestion refused at its replayed record, and a redelivered dead letter does not unplace it', async () => {
    const batchId = uniqueName('batch');
    const eventId = randomUUID();
    const base = { eventId, batchId, source: 'http-push', userId: null };
    const received: AuditRow = {
      ...base,
      topic: 'users.raw',
      outcome: 'ingested',
      partition: null,
      offset: null,
      producedAt: new Date('2026-12-02T01:00:00.500Z'),
      appendedAt: null,
      reasons: null,
    };
    await repo.record([received], [{ batchId, source: 'http-push', expectedCount: 1 }]);
    // A verbatim replay keeps the original's time, earlier than the refusal's dead letter: placed all the same.
    const replayed: AuditRow = {
      ...received,
      partition: 4,
      offset: '12',
      producedAt: new Date('2026-12-02T01:00:00.000Z'),
      appendedAt: null,
    };
    await repo.record([replayed], []);
    const placed = await cells([eventId]);
    expect(placed).toEqual([
      expect.objectContaining({ partition: 4, offset: '12', produced_at: '2026-12-02 01:00:00+00' }),
    ]);
    await repo.record([received, replayed], []);
    expect(await cells([eventId])).toEqual(placed);
  });

  it('keeps the newest of two dead letters of one event in one call, its id written in either case', async () => {
    const eventId = randomUUID();
    const letter = (id: string, offset: string, message: string): AuditRow => ({
      eventId: id,
      topic: 'users.dlq',
      outcome: 'dead-lettered',
      userId: null,
      batchId: uniqueName('batch'),
      source: 'http-push',
      partition: 0,
      offset,
      producedAt: new Date('2026-12-02T01:00:00.000Z'),
      appendedAt: null,
      reasons: [reason('email', message)],
    });
    await repo.record([letter(eventId, '8', 'later'), letter(eventId.toUpperCase(), '7', 'earlier')], []);
    expect((await repo.lineage(eventId)).map((e) => [e.offset, e.reasons?.[0].message])).toEqual([
      ['8', 'later'],
    ]);
  });

  it('ends in the rows of the arrivals applied in offset order, whatever their order and redeliveries', async () => {
    const topics = [
      { topic: 'users.raw', outcome: 'ingested' },
      { topic: 'users.dlq', outcome: 'dead-lettered' },
      { topic: 'users.persisted', outcome: 'persisted' },
    ] as const;
    /** One event's arrivals on one topic as one partition holds them: offsets rise, times do not fall. */
    const stream = fc
      .record({
        topic: fc.integer({ min: 0, max: topics.length - 1 }),
        event: fc.integer({ min: 0, max: 1 }),
        partition: fc.integer({ min: 0, max: 3 }),
        unplacedFirst: fc.boolean(),
        steps: fc.array(
          fc.record({
            offsetGap: fc.integer({ min: 1, max: 1000 }),
            timeGap: fc.integer({ min: 0, max: 2 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
      })
      .map(({ topic, event, partition, unplacedFirst, steps }) => {
        let offset = 0;
        let time = Date.parse('2026-12-02T00:00:00Z');
        const arrivals = steps.map(({ offsetGap, timeGap }, i) => {
          offset += offsetGap;
          time += timeGap;
          return { ...topics[topic], event, partition, offset: String(offset), time, n: i };
        });
        // A refused person's received row (no place) comes before any record of it on users.raw.
        return unplacedFirst && topics[topic].topic === 'users.raw'
          ? [{ ...arrivals[0], partition: null, offset: null, time: time + 5, n: -1 }, ...arrivals]
          : arrivals;
      });
    const scenario = fc
      .uniqueArray(stream, { minLength: 1, maxLength: 4, selector: (a) => `${a[0].event}/${a[0].topic}` })
      .chain((streams) => {
        const arrivals = streams.flat();
        return fc.record({
          arrivals: fc.constant(arrivals),
          // Each arrival once or more, in any order, cut into calls of any size.
          schedule: fc
            .array(fc.integer({ min: 0, max: arrivals.length - 1 }), { maxLength: arrivals.length * 2 })
            .chain((redeliveries) => {
              const all = [...arrivals.keys(), ...redeliveries];
              return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
            }),
          cuts: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 20 }),
        });
      });

    await fc.assert(
      fc.asyncProperty(scenario, async ({ arrivals, schedule, cuts }) => {
        const batchId = uniqueName('batch');
        const run = async (order: number[], sizes: number[]): Promise<Record<string, unknown>[]> => {
          const ids: string[] = [randomUUID(), randomUUID()];
          const rowOf = (a: (typeof arrivals)[number]): AuditRow => ({
            eventId: ids[a.event],
            topic: a.topic,
            outcome: a.outcome,
            userId: null,
            batchId,
            source: 'synthetic',
            partition: a.partition,
            offset: a.offset,
            producedAt: new Date(a.time),
            appendedAt: null,
            reasons: a.topic === 'users.dlq' ? [reason('email', `failure ${a.n}`)] : null,
          });
          for (let i = 0, c = 0; i < order.length; c++) {
            const size = sizes[c % sizes.length];
            await repo.record(
              order.slice(i, i + size).map((k) => rowOf(arrivals[k])),
              [],
            );
            i += size;
          }
          // recorded_at is when the audit stored the row: the one column that is the schedule's own.
          return (await cells(ids)).map(({ event_id, recorded_at: _, ...rest }) => ({
            event: ids.indexOf(event_id as string),
            ...rest,
          }));
        };
        const inOffsetOrder = [...arrivals.keys()].sort(
          (a, b) =>
            arrivals[a].event - arrivals[b].event ||
            arrivals[a].topic.localeCompare(arrivals[b].topic) ||
            arrivals[a].n - arrivals[b].n,
        );
        const expected = await run(inOffsetOrder, [1]);
        const got = await run(schedule, cuts);
        expect(got.sort(byEventTopic)).toEqual(expected.sort(byEventTopic));
      }),
      { seed: 20261202, numRuns: 40 },
    );
  });
});

const byEventTopic = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  (a.event as number) - (b.event as number) || String(a.topic).localeCompare(String(b.topic));
