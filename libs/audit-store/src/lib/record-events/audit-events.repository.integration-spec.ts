import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { scratchPostgresDatabase, uniqueName, type ScratchDatabase } from '@sparkflow/testing';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditEventsRepository, type AuditRow } from './audit-events.repository';

describe('AuditEventsRepository.record on the local PostgreSQL', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  let repo: AuditEventsRepository;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_record', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
    repo = new AuditEventsRepository(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('gives a refused person its place on users.raw once its corrected record is replayed there', async () => {
    const batchId = uniqueName('batch');
    const eventId = randomUUID();
    const base = { eventId, batchId, source: 'http-push', userId: null, producedAt: null, appendedAt: null };
    // Refused by ingestion: received (at no place on users.raw) and dead-lettered.
    await repo.record(
      [
        { ...base, topic: 'users.raw', outcome: 'ingested', partition: null, offset: null, reasons: null },
        {
          ...base,
          topic: 'users.dlq',
          outcome: 'dead-lettered',
          partition: 1,
          offset: '40',
          reasons: [{ code: SparkflowErrorCode.SchemaInvalid, message: 'Invalid email', path: 'email' }],
        },
      ],
      [{ batchId, source: 'http-push', expectedCount: 1 }],
    );
    const before = await repo.lineage(eventId);
    expect(before.map((e) => [e.topic, e.partition, e.offset])).toEqual([
      ['users.raw', null, null],
      ['users.dlq', 1, '40'],
    ]);
    // `sparkflow dlq replay` publishes the corrected person to users.raw under the same event id.
    const replayed: AuditRow = {
      ...base,
      topic: 'users.raw',
      outcome: 'ingested',
      partition: 4,
      offset: '1234',
      reasons: null,
    };
    await repo.record([replayed, replayed], []);
    const after = await repo.lineage(eventId);
    // Recorded after the dead letter, the replayed record follows it in the lineage.
    expect(after.map((e) => [e.topic, e.partition, e.offset])).toEqual([
      ['users.dlq', 1, '40'],
      ['users.raw', 4, '1234'],
    ]);
    const received = async () => (await repo.lineage(eventId)).find((e) => e.topic === 'users.raw');
    // Once placed, neither the received row again nor a redelivered copy moves it; a later record does.
    await repo.record([{ ...replayed, partition: null, offset: null }, replayed], []);
    expect(await received()).toMatchObject({ partition: 4, offset: '1234' });
    await repo.record([{ ...replayed, offset: '1300' }], []);
    expect(await received()).toMatchObject({ partition: 4, offset: '1300' });
  });

  it('stores every column verbatim, counts a redelivered event once, and reconciles the batch', async () => {
    const batchId = uniqueName('batch');
    const [a, b] = [randomUUID(), randomUUID()];
    const userId = randomUUID();
    const base = { batchId, source: 'synthetic', partition: 3, userId, reasons: null };
    const rows: AuditRow[] = [
      {
        ...base,
        eventId: a,
        topic: 'users.raw',
        outcome: 'ingested',
        offset: '9007199254740993',
        producedAt: new Date('2026-11-26T04:00:00.123Z'),
        appendedAt: null,
      },
      {
        ...base,
        eventId: a,
        topic: 'users.enriched',
        outcome: 'enriched',
        offset: '7',
        producedAt: null,
        appendedAt: null,
      },
      {
        ...base,
        eventId: a,
        topic: 'users.persisted',
        outcome: 'persisted',
        offset: '8',
        producedAt: new Date('2026-11-26T04:00:00.456Z'),
        appendedAt: null,
      },
      {
        ...base,
        eventId: b,
        topic: 'users.raw',
        outcome: 'ingested',
        offset: '9',
        producedAt: null,
        appendedAt: null,
        userId: null,
      },
      {
        ...base,
        eventId: b,
        topic: 'users.dlq',
        outcome: 'dead-lettered',
        offset: '10',
        producedAt: null,
        appendedAt: null,
        userId: null,
        reasons: [
          {
            code: SparkflowErrorCode.SchemaInvalid,
            message: `name: "O'Brien", {a,b} \\ é ✓ NULL`,
            path: 'name.first',
          },
          { code: SparkflowErrorCode.MalformedJson, message: 'not JSON', path: null },
        ],
      },
    ];
    // The first raw row again in the same call, then the whole set redelivered.
    await repo.record([...rows, rows[0]], [{ batchId, source: 'synthetic', expectedCount: 2 }]);
    await repo.record(rows, [{ batchId, source: 'synthetic', expectedCount: 2 }]);

    expect(await repo.batchCounts(batchId)).toEqual({
      batchId,
      source: 'synthetic',
      expected: 2,
      ingested: 2,
      enriched: 1,
      deadLettered: 1,
      persisted: 1,
      complete: true,
    });
    const lineage = await repo.lineage(a);
    expect(
      lineage.map((e) => [e.topic, e.offset, e.partition, e.userId, e.producedAt?.toISOString() ?? null]),
    ).toEqual(
      expect.arrayContaining([
        ['users.raw', '9007199254740993', 3, userId, '2026-11-26T04:00:00.123Z'],
        ['users.enriched', '7', 3, userId, null],
        ['users.persisted', '8', 3, userId, '2026-11-26T04:00:00.456Z'],
      ]),
    );
    const dead = (await repo.lineage(b)).find((e) => e.topic === 'users.dlq');
    expect(dead?.reasons).toEqual(rows[4].reasons);
    expect(dead?.userId).toBeNull();
  });

  it('counts an event dead-lettered and then persisted (its dead letter replayed) once, as persisted', async () => {
    const batchId = uniqueName('batch');
    const [kept, fixed, lost] = [randomUUID(), randomUUID(), randomUUID()];
    const row = (eventId: string, topic: string, outcome: AuditRow['outcome'], offset: string): AuditRow => ({
      eventId,
      topic,
      outcome,
      batchId,
      source: 'http-push',
      partition: 0,
      offset,
      producedAt: null,
      appendedAt: null,
      userId: null,
      reasons: null,
    });
    const persisted = (eventId: string, offset: string) => [
      row(eventId, 'users.enriched', 'enriched', offset),
      row(eventId, 'users.persisted', 'persisted', offset),
    ];
    const batch = [{ batchId, source: 'http-push', expectedCount: 3 }];
    await repo.record(
      [
        row(kept, 'users.raw', 'ingested', '1'),
        row(fixed, 'users.raw', 'ingested', '2'),
        row(lost, 'users.raw', 'ingested', '3'),
        ...persisted(kept, '1'),
        row(fixed, 'users.dlq', 'dead-lettered', '1'),
        row(lost, 'users.dlq', 'dead-lettered', '2'),
      ],
      batch,
    );
    const before = { batchId, source: 'http-push', expected: 3, ingested: 3, enriched: 1 };
    expect(await repo.batchCounts(batchId)).toEqual({
      ...before,
      deadLettered: 2,
      persisted: 1,
      complete: true,
    });
    // The dead letter replayed: its event on users.raw again, enriched and persisted; the ack redelivered.
    await repo.record([row(fixed, 'users.raw', 'ingested', '4'), ...persisted(fixed, '2')], []);
    await repo.record(persisted(fixed, '2'), []);
    expect(await repo.batchCounts(batchId)).toEqual({
      ...before,
      enriched: 2,
      deadLettered: 1,
      persisted: 2,
      complete: true,
    });
    // The batch list counts it the same way.
    const listed = (await repo.batchesSince(new Date(Date.now() - 60_000), 1_000)).find(
      (b) => b.batchId === batchId,
    );
    expect(listed).toMatchObject({ ingested: 3, enriched: 2, deadLettered: 1, persisted: 2 });
  });

  it('leaves a batch without a declared size with a null expected count', async () => {
    const batchId = uniqueName('batch');
    await repo.record(
      [
        {
          eventId: randomUUID(),
          topic: 'users.raw',
          outcome: 'ingested',
          batchId,
          source: 'push',
          partition: 0,
          offset: '1',
          producedAt: null,
          appendedAt: null,
          userId: null,
          reasons: null,
        },
      ],
      [{ batchId, source: 'push', expectedCount: null }],
    );
    expect(await repo.batchCounts(batchId)).toMatchObject({ expected: null, source: 'push', ingested: 1 });
  });

  it('lists the batches registered since a time, newest first, each with its counts by outcome', async () => {
    const since = new Date(Date.now() - 1000);
    const [older, newer] = [uniqueName('batch-older'), uniqueName('batch-newer')];
    const row = (
      batchId: string,
      topic: string,
      outcome: AuditRow['outcome'],
      eventId = randomUUID(),
    ): AuditRow => ({
      eventId,
      topic,
      outcome,
      batchId,
      source: 'synthetic',
      partition: 0,
      offset: '1',
      producedAt: null,
      appendedAt: null,
      userId: null,
      reasons: null,
    });
    const e = randomUUID();
    await repo.record(
      [row(older, 'users.raw', 'ingested', e), row(older, 'users.persisted', 'persisted', e)],
      [{ batchId: older, source: 'synthetic', expectedCount: 1 }],
    );
    await repo.record(
      [row(newer, 'users.raw', 'ingested'), row(newer, 'users.raw', 'ingested')],
      [{ batchId: newer, source: 'synthetic', expectedCount: 3 }],
    );
    const listed = (await repo.batchesSince(since, 1000)).filter(
      (b) => b.batchId === older || b.batchId === newer,
    );
    expect(listed).toEqual([
      expect.objectContaining({
        batchId: newer,
        expected: 3,
        ingested: 2,
        enriched: 0,
        persisted: 0,
        deadLettered: 0,
      }),
      expect.objectContaining({
        batchId: older,
        expected: 1,
        ingested: 1,
        enriched: 0,
        persisted: 1,
        deadLettered: 0,
      }),
    ]);
    expect(Date.parse(listed[0].createdAt)).toBeGreaterThanOrEqual(Date.parse(listed[1].createdAt));
    expect(
      (await repo.batchesSince(new Date(Date.now() + 60_000), 1000)).map((b) => b.batchId),
    ).not.toContain(newer);
  });

  /**
   * Two statements that share keys but list them in opposite orders (an event's enriched row written from
   * a users.persisted partition and from a users.dlq partition, in each one's offset order) lock the rows
   * in one order, so neither waits on the other in a cycle: PostgreSQL would otherwise fail one with
   * 40P01 deadlock detected.
   */
  it('stores two concurrent calls that share keys in opposite orders without a deadlock', async () => {
    const batchId = uniqueName('batch');
    const rowsOf = (offsetBase: number, ids: string[]): AuditRow[] =>
      ids.map((eventId, i) => ({
        eventId,
        topic: 'users.enriched',
        outcome: 'enriched',
        userId: null,
        batchId,
        source: 'http-push',
        partition: 0,
        offset: String(offsetBase + i),
        producedAt: new Date(Date.UTC(2026, 11, 2, 0, 0, 0, offsetBase + i)),
        appendedAt: null,
        reasons: null,
      }));
    for (let round = 0; round < 4; round++) {
      const ids = Array.from({ length: 3000 }, () => randomUUID());
      // Stored once, so both calls below update existing rows and hold each row's lock to the commit.
      await repo.record(rowsOf(0, ids), []);
      const results = await Promise.allSettled([
        repo.record(rowsOf(10_000, ids), []),
        repo.record(rowsOf(20_000, [...ids].reverse()), []),
      ]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const [{ n }]: { n: number }[] = await ds.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE event_id = ANY($1::uuid[]) AND "offset" >= 20000`,
        [ids],
      );
      expect(n).toBe(ids.length); // the later arrivals won every row
    }
  });
});
