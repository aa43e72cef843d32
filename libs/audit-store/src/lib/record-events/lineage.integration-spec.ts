import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { HEADERS, TOPICS } from '@sparkflow/contracts';
import { OK, type InboundMessage } from '@sparkflow/kafka';
import { scratchPostgresDatabase, uniqueName, type ScratchDatabase } from '@sparkflow/testing';
import { AUDIT_MIGRATIONS, createAuditDataSource } from '../audit-data-source';
import { AuditQueriesUseCase } from '../queries/audit-queries.use-case';
import { AuditEventsRepository } from './audit-events.repository';
import { RecordEventsUseCase } from './record-events.use-case';

const envelope = (eventId: string, batchId: string, producedAt: string) => ({
  eventId,
  schemaVersion: 1,
  source: 'http-push',
  batchId,
  producedAt,
});

const record = (
  topic: string,
  partition: number,
  offset: string,
  value: unknown,
  headers: Record<string, string> = {},
): InboundMessage => ({
  topic,
  partition,
  offset,
  key: null,
  value: Buffer.from(JSON.stringify(value)),
  headers,
  timestamp: 0,
  traceHeaders: {},
});

/** The record as the broker stamped it on appending it (LogAppendTime). */
const appendedAt = (at: string, m: InboundMessage): InboundMessage => ({ ...m, timestamp: Date.parse(at) });

/** The records one person's event leaves on users.raw and users.persisted, as the services write them. */
function personEvent(batchId: string, batchSize: number, ackHasEnriched = true) {
  const eventId = randomUUID();
  const userId = randomUUID();
  const raw = appendedAt(
    '2026-11-30T10:00:00.005Z',
    record(
      TOPICS.usersRaw,
      1,
      '100',
      { ...envelope(eventId, batchId, '2026-11-30T10:00:00.000001Z'), payload: { login: { uuid: userId } } },
      {
        [HEADERS.eventId]: eventId,
        [HEADERS.batchId]: batchId,
        [HEADERS.batchSize]: String(batchSize),
        [HEADERS.source]: 'http-push',
      },
    ),
  );
  const ack = appendedAt(
    '2026-11-30T10:00:00.305Z',
    record(TOPICS.usersPersisted, 4, '300', {
      ...envelope(randomUUID(), batchId, '2026-11-30T10:00:00.300Z'),
      payload: {
        userId,
        enrichedEventId: eventId,
        writtenAt: '2026-11-30T10:00:00.290Z',
        ...(ackHasEnriched
          ? { enriched: { partition: 2, offset: '9007199254740993', producedAt: '2026-11-30T10:00:00.200Z' } }
          : {}),
      },
    }),
  );
  return { eventId, userId, raw, ack };
}

describe('an event recorded without reading users.enriched, on the local PostgreSQL', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  let repo: AuditEventsRepository;
  let recordEvents: RecordEventsUseCase;
  let queries: AuditQueriesUseCase;
  beforeAll(async () => {
    db = await scratchPostgresDatabase('audit_lineage', AUDIT_MIGRATIONS);
    ds = await createAuditDataSource({ ...db.admin, database: db.database }).initialize();
    repo = new AuditEventsRepository(ds);
    recordEvents = new RecordEventsUseCase(repo);
    queries = new AuditQueriesUseCase(repo);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('answers the lineage of a persisted event with its ingested, enriched and persisted stages, in order', async () => {
    const batchId = uniqueName('lineage');
    const e = personEvent(batchId, 1);
    expect(await recordEvents.execute([e.raw])).toEqual([OK]);
    expect(await recordEvents.execute([e.ack])).toEqual([OK]);
    // Redelivered after a rebalance: counted once.
    expect(await recordEvents.execute([e.ack])).toEqual([OK]);

    const lineage = await queries.eventLineage(e.eventId);
    expect(
      lineage?.stages.map((st) => [
        st.topic,
        st.outcome,
        st.partition,
        st.offset,
        st.producedAt,
        st.userId,
        st.batchId,
        st.source,
      ]),
    ).toEqual([
      [TOPICS.usersRaw, 'ingested', 1, '100', '2026-11-30T10:00:00.000Z', e.userId, batchId, 'http-push'],
      [
        TOPICS.usersEnriched,
        'enriched',
        2,
        '9007199254740993',
        '2026-11-30T10:00:00.200Z',
        e.userId,
        batchId,
        'http-push',
      ],
      [
        TOPICS.usersPersisted,
        'persisted',
        4,
        '300',
        '2026-11-30T10:00:00.300Z',
        e.userId,
        batchId,
        'http-push',
      ],
    ]);
    expect((await queries.userHistory(e.userId, 100))?.events.map((x) => x.outcome)).toEqual([
      'ingested',
      'enriched',
      'persisted',
    ]);
    expect(await queries.batchReport(batchId)).toMatchObject({
      expected: 1,
      ingested: 1,
      enriched: 1,
      persisted: 1,
      deadLettered: 0,
      complete: true,
      sampleUserId: e.userId,
      timing: { latencyMs: { p50: 300 } },
    });
  });

  it('records the enriched stage of an event persistence dead-lettered, from the dead letter', async () => {
    const batchId = uniqueName('lineage-dlq');
    const e = personEvent(batchId, 1);
    const enriched = {
      ...envelope(e.eventId, batchId, '2026-11-30T10:00:00.200Z'),
      payload: { userId: e.userId },
    };
    const letter = record(TOPICS.usersDlq, 0, '55', {
      ...envelope(randomUUID(), batchId, '2026-11-30T10:00:01.000Z'),
      payload: {
        stage: 'persistence',
        reasons: [{ code: 'CASSANDRA_REJECTED', message: 'Key may not be empty', path: null }],
        originalTopic: TOPICS.usersEnriched,
        partition: 5,
        offset: '77',
        key: e.userId,
        originalEventId: e.eventId,
        originalBatchId: batchId,
        payload: JSON.stringify(enriched),
        payloadEncoding: 'utf8',
        attempts: 1,
        failedAt: '2026-11-30T10:00:01.000Z',
      },
    });
    expect(await recordEvents.execute([e.raw, letter])).toEqual([OK, OK]);

    const lineage = await queries.eventLineage(e.eventId);
    expect(
      lineage?.stages.map((st) => [st.topic, st.outcome, st.partition, st.offset, st.producedAt]),
    ).toEqual([
      [TOPICS.usersRaw, 'ingested', 1, '100', '2026-11-30T10:00:00.000Z'],
      [TOPICS.usersEnriched, 'enriched', 5, '77', '2026-11-30T10:00:00.200Z'],
      [TOPICS.usersDlq, 'dead-lettered', 0, '55', '2026-11-30T10:00:01.000Z'],
    ]);
    expect(lineage?.stages[2].reasons?.[0].code).toBe('CASSANDRA_REJECTED');
    expect(await queries.batchReport(batchId)).toMatchObject({
      ingested: 1,
      enriched: 1,
      deadLettered: 1,
      persisted: 0,
      complete: true,
    });
  });

  it('records an acknowledgement from before it named its enriched record: persisted, with no enriched stage', async () => {
    const batchId = uniqueName('lineage-old');
    const e = personEvent(batchId, 1, false);
    expect(await recordEvents.execute([e.raw, e.ack])).toEqual([OK, OK]);

    const lineage = await queries.eventLineage(e.eventId);
    expect(lineage?.stages.map((st) => st.outcome)).toEqual(['ingested', 'persisted']);
    expect(await queries.batchReport(batchId)).toMatchObject({
      ingested: 1,
      enriched: 0,
      persisted: 1,
      complete: true,
    });
  });
});
