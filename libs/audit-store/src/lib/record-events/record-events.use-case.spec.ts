import { randomUUID } from 'node:crypto';
import { DatabaseError } from 'pg';
import { batchIdProblem, Envelope, HEADERS, type DeadLetterEvent } from '@sparkflow/contracts';
import { deadLetterFor, type InboundMessage } from '@sparkflow/kafka';
import fc from 'fast-check';
import { auditRowsOf, declaredBatchSize, RecordEventsUseCase } from './record-events.use-case';
import type { AuditEventsRepository, AuditRow } from './audit-events.repository';

const env = (eventId: string, payload: unknown) => ({
  eventId,
  schemaVersion: 1,
  source: 'synthetic',
  batchId: 'b-1',
  producedAt: '2026-11-26T04:00:00.000Z',
  payload,
});

/** The broker's clock when it appended a test record: after its envelope's producedAt, as on a live topic. */
const APPENDED_AT = '2026-11-26T04:00:00.250Z';

const msg = (topic: string, value: unknown, headers: Record<string, string> = {}): InboundMessage => ({
  topic,
  partition: 1,
  offset: '42',
  key: null,
  value: Buffer.isBuffer(value)
    ? value
    : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers,
  timestamp: Date.parse(APPENDED_AT),
  traceHeaders: {},
});

describe('auditRowsOf', () => {
  const eventId = randomUUID();
  const userId = randomUUID();

  it('records a persisted acknowledgement under the event id it acknowledges', () => {
    const ack = env(randomUUID(), {
      userId,
      enrichedEventId: eventId,
      writtenAt: '2026-11-26T04:00:01.000Z',
    });
    expect(auditRowsOf(msg('users.persisted', ack))).toEqual([
      expect.objectContaining({ eventId, userId, outcome: 'persisted', batchId: 'b-1' }),
    ]);
  });

  it('records the enriched stage from an acknowledgement that says where the enriched record was', () => {
    const ack = env(randomUUID(), {
      userId,
      enrichedEventId: eventId,
      writtenAt: '2026-11-26T04:00:01.000Z',
      enriched: { partition: 4, offset: '9000000000', producedAt: '2026-11-26T03:59:59.123456Z' },
    });
    expect(auditRowsOf(msg('users.persisted', ack))).toEqual([
      {
        eventId,
        topic: 'users.enriched',
        outcome: 'enriched',
        partition: 4,
        offset: '9000000000',
        batchId: 'b-1',
        source: 'synthetic',
        producedAt: new Date('2026-11-26T03:59:59.123456Z'),
        // An ack from before it named the enriched record's append time: unknown.
        appendedAt: null,
        userId,
        reasons: null,
      },
      {
        eventId,
        topic: 'users.persisted',
        outcome: 'persisted',
        partition: 1,
        offset: '42',
        batchId: 'b-1',
        source: 'synthetic',
        producedAt: new Date('2026-11-26T04:00:00.000Z'),
        appendedAt: new Date(APPENDED_AT),
        userId,
        reasons: null,
      },
    ]);
  });

  it("times the enriched stage by the enriched record's own append time, which the ack names", () => {
    const ackNaming = (appendedAt: string | null) =>
      env(randomUUID(), {
        userId,
        enrichedEventId: eventId,
        writtenAt: '2026-11-26T04:00:01.000Z',
        enriched: {
          partition: 4,
          offset: '9000000000',
          producedAt: '2026-11-26T03:59:59.123456Z',
          appendedAt,
        },
      });
    const rows = auditRowsOf(msg('users.persisted', ackNaming('2026-11-26T03:59:59.500Z')));
    expect(rows?.map((r) => [r.topic, r.appendedAt])).toEqual([
      ['users.enriched', new Date('2026-11-26T03:59:59.500Z')],
      ['users.persisted', new Date(APPENDED_AT)],
    ]);
    expect(auditRowsOf(msg('users.persisted', ackNaming(null)))?.[0].appendedAt).toBeNull();
  });

  it('reads nothing of users.enriched itself', () => {
    expect(auditRowsOf(msg('users.enriched', env(eventId, { userId })))).toBeNull();
  });

  it('records a dead letter under the original event id, with its reasons and batch', () => {
    const reasons = [{ code: 'SCHEMA_INVALID', message: 'Required', path: 'payload.email' }];
    const dead = env(randomUUID(), {
      stage: 'enrichment',
      reasons,
      originalTopic: 'users.raw',
      partition: 0,
      offset: '7',
      key: userId,
      originalEventId: eventId,
      originalBatchId: 'b-7',
      payload: '{}',
      payloadEncoding: 'utf8',
      attempts: 1,
      failedAt: '2026-11-26T04:00:01.000Z',
    });
    expect(auditRowsOf(msg('users.dlq', dead))).toEqual([
      expect.objectContaining({ eventId, outcome: 'dead-lettered', batchId: 'b-7', reasons, userId }),
    ]);
  });

  const persistenceLetter = (payload: string, extra: Record<string, unknown> = {}) =>
    env(randomUUID(), {
      stage: 'persistence',
      reasons: [{ code: 'CASSANDRA_REJECTED', message: 'Key may not be empty', path: null }],
      originalTopic: 'users.enriched',
      partition: 2,
      offset: '77',
      key: userId,
      originalEventId: eventId,
      originalBatchId: 'b-7',
      payload,
      payloadEncoding: 'utf8',
      attempts: 1,
      failedAt: '2026-11-26T04:00:01.000Z',
      ...extra,
    });

  it('records the enriched stage of an event persistence dead-lettered, read from the letter', () => {
    const enriched = JSON.stringify({
      ...env(eventId, { userId, email: 'x@example.com' }),
      batchId: 'b-7',
      source: 'http-push',
      producedAt: '2026-11-26T03:00:00.000001Z',
    });
    const rows = auditRowsOf(msg('users.dlq', persistenceLetter(enriched)));
    expect(rows?.map((r) => [r.eventId, r.topic, r.outcome, r.partition, r.offset])).toEqual([
      [eventId, 'users.enriched', 'enriched', 2, '77'],
      [eventId, 'users.dlq', 'dead-lettered', 1, '42'],
    ]);
    expect(rows?.[0]).toMatchObject({
      batchId: 'b-7',
      source: 'http-push',
      producedAt: new Date('2026-11-26T03:00:00.000001Z'),
      // The letter's broker timestamp is when the letter was appended, not the enriched record; a letter
      // from before it named the record's own append time leaves it unknown.
      appendedAt: null,
      userId,
      reasons: null,
    });
    expect(rows?.[1].appendedAt).toEqual(new Date(APPENDED_AT));
    const named = auditRowsOf(
      msg('users.dlq', persistenceLetter(enriched, { originalAppendedAt: '2026-11-26T03:00:00.250Z' })),
    );
    expect(named?.map((r) => [r.topic, r.appendedAt])).toEqual([
      ['users.enriched', new Date('2026-11-26T03:00:00.250Z')],
      ['users.dlq', new Date(APPENDED_AT)],
    ]);
  });

  it('names the enriched record of a letter whose payload was cut by its fields, its producedAt unknown', () => {
    const rows = auditRowsOf(msg('users.dlq', persistenceLetter('{"eventId', { payloadTruncated: true })));
    expect(rows?.[0]).toMatchObject({
      eventId,
      topic: 'users.enriched',
      partition: 2,
      offset: '77',
      batchId: 'b-7',
      source: 'synthetic',
      producedAt: null,
      userId,
    });
    expect(rows).toHaveLength(2);
  });

  it('adds no enriched stage for an enriched record it could not have identified, nor for its own quarantine', () => {
    expect(auditRowsOf(msg('users.dlq', persistenceLetter('not json')))).toHaveLength(1);
    const enriched = JSON.stringify(env(eventId, { userId }));
    expect(auditRowsOf(msg('users.dlq', persistenceLetter(enriched, { stage: 'audit' })))).toHaveLength(1);
  });

  it('still records a raw record too broken to parse, from its headers', () => {
    const rows = auditRowsOf(
      msg('users.raw', Buffer.from([0xff, 0x00]), {
        'sparkflow-event-id': eventId,
        'sparkflow-batch-id': 'b-9',
      }),
    );
    expect(rows?.[0]).toMatchObject({ eventId, outcome: 'ingested', batchId: 'b-9', userId: null });
  });

  it("keeps a raw record's broker timestamp beside its event time, so a batch is timed from this arrival", () => {
    const raw = env(eventId, { login: { uuid: userId } });
    const [row] =
      auditRowsOf({ ...msg('users.raw', raw), timestamp: Date.parse('2026-11-26T05:00:00.000Z') }) ?? [];
    expect([row.producedAt, row.appendedAt]).toEqual([
      new Date('2026-11-26T04:00:00.000Z'),
      new Date('2026-11-26T05:00:00.000Z'),
    ]);
    // Kafka's -1 is a record without a timestamp: unknown, not 1969.
    expect(auditRowsOf({ ...msg('users.raw', raw), timestamp: -1 })?.[0].appendedAt).toBeNull();
  });

  it('skips what it cannot identify rather than inventing an id', () => {
    expect(auditRowsOf(msg('users.raw', 'garbage'))).toBeNull();
    expect(auditRowsOf(msg('some.other.topic', env(eventId, {})))).toBeNull();
  });
});

describe('RecordEventsUseCase', () => {
  it('registers each raw batch with its expected size and stores the rows in one call', async () => {
    const record = jest.fn().mockResolvedValue(undefined);
    const useCase = new RecordEventsUseCase({ record } as unknown as AuditEventsRepository);
    const headers = {
      'sparkflow-event-id': randomUUID(),
      'sparkflow-batch-id': 'b-1',
      'sparkflow-batch-size': '2',
      'sparkflow-source': 'synthetic',
    };
    const outcomes = await useCase.execute([
      msg('users.raw', 'x', headers),
      msg('users.raw', 'y', { ...headers, 'sparkflow-event-id': randomUUID() }),
    ]);
    expect(outcomes).toEqual([{ status: 'ok' }, { status: 'ok' }]);
    expect(record).toHaveBeenCalledTimes(1);
    expect(record.mock.calls[0][1]).toEqual([{ batchId: 'b-1', source: 'synthetic', expectedCount: 2 }]);
    expect(record.mock.calls[0][0]).toHaveLength(2);
  });

  it('records a person refused at ingestion as ingested and dead-lettered, so its batch adds up', async () => {
    const record = jest.fn().mockResolvedValue(undefined);
    const original = randomUUID();
    const refused = env(randomUUID(), {
      stage: 'ingestion',
      reasons: [{ code: 'SCHEMA_INVALID', message: 'Invalid email', path: 'payload.email' }],
      originalTopic: 'users.raw',
      partition: null,
      offset: null,
      key: null,
      originalEventId: original,
      originalBatchId: 'b-1',
      payload: '{}',
      payloadEncoding: 'utf8',
      attempts: 1,
      failedAt: '2026-11-26T04:00:01.000Z',
    });
    await new RecordEventsUseCase({ record } as unknown as AuditEventsRepository).execute([
      msg('users.dlq', refused),
    ]);
    const rows = record.mock.calls[0][0] as AuditRow[];
    expect(rows.map((r) => [r.eventId, r.topic, r.outcome])).toEqual([
      [original, 'users.raw', 'ingested'],
      [original, 'users.dlq', 'dead-lettered'],
    ]);
    // It never reached users.raw: no place there, not the dead letter's place on users.dlq.
    expect(rows.map((r) => [r.partition, r.offset, r.appendedAt])).toEqual([
      [null, null, null],
      [1, '42', new Date(APPENDED_AT)],
    ]);
  });

  it('fails every record of the batch when the store is down, so the transport retries them', async () => {
    const useCase = new RecordEventsUseCase({
      record: jest.fn().mockRejectedValue(new Error('ECONNREFUSED')),
    } as unknown as AuditEventsRepository);
    const outcomes = await useCase.execute([msg('users.raw', 'x', { 'sparkflow-event-id': randomUUID() })]);
    expect(outcomes[0].status).toBe('failed');
  });

  it('stores the rows PostgreSQL accepts and fails only the ones it refuses, as POSTGRES_REJECTED', async () => {
    // Whatever PostgreSQL refuses in one row (here the fifth record's, as it would a value it cannot
    // encode): the rows are split until the refused one is alone.
    const ids = Array.from({ length: 7 }, () => randomUUID());
    const stored: string[] = [];
    const record = jest.fn(async (rows: { eventId: string }[]) => {
      if (rows.some((r) => r.eventId === ids[4])) {
        throw Object.assign(
          new DatabaseError('invalid byte sequence for encoding "UTF8": 0x00', 0, 'error'),
          {
            code: '22021',
          },
        );
      }
      stored.push(...rows.map((r) => r.eventId));
    });
    const useCase = new RecordEventsUseCase({ record } as unknown as AuditEventsRepository);
    const outcomes = await useCase.execute(
      ids.map((id) =>
        msg('users.raw', 'x', {
          'sparkflow-event-id': id,
          'sparkflow-batch-id': 'b-1',
          'sparkflow-source': 'synthetic',
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'failed', 'ok', 'ok']);
    expect((outcomes[4] as { error: { code: string } }).error.code).toBe('POSTGRES_REJECTED');
    expect(stored.sort()).toEqual(ids.filter((_, i) => i !== 4).sort());
  });

  it('dead-letters a users.persisted or users.dlq record it cannot identify, and leaves an unreadable raw record to enrichment', async () => {
    const record = jest.fn().mockResolvedValue(undefined);
    const useCase = new RecordEventsUseCase({ record } as unknown as AuditEventsRepository);
    const outcomes = await useCase.execute([
      msg('users.persisted', Buffer.from([0xe3])),
      msg('users.dlq', JSON.stringify({ eventId: 2, payload: '\u0000' })),
      msg('users.raw', 'garbage'),
    ]);
    expect(
      outcomes.map((o) => (o.status === 'failed' ? (o.error as { code: string }).code : o.status)),
    ).toEqual(['SCHEMA_INVALID', 'SCHEMA_INVALID', 'ok']);
    expect(record).not.toHaveBeenCalled();
  });
});

describe('declaredBatchSize', () => {
  const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);

  it('reads any header as a size PostgreSQL integer holds, or as none', () => {
    const header = fc.oneof(
      fc.string(),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.double().map(String),
      fc.constantFrom('1e+135', '1.7976931348623157e+308', '2147483648', '0x10', ' 5', '5 ', '+5', '007'),
    );
    fc.assert(
      fc.property(header, (h) => {
        const size = declaredBatchSize(h);
        if (size === null) return;
        expect(Number.isSafeInteger(size) && size >= 0 && size <= 2_147_483_647).toBe(true);
        expect(h).toMatch(/^\d+$/);
        expect(BigInt(h)).toBe(BigInt(size));
      }),
      { seed: SEED, numRuns: 5000 },
    );
    expect([declaredBatchSize('100'), declaredBatchSize('2147483647'), declaredBatchSize(undefined)]).toEqual(
      [100, 2_147_483_647, null],
    );
    expect(['1e+135', '2147483648', '10.5', '-1', ''].map(declaredBatchSize)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('a raw record and its dead letter are filed under one batch', () => {
  const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);

  it('for any batch header, the raw row, the registered batch and the dead letter name the same id, one the API accepts', async () => {
    const header = fc.oneof(
      fc.string({ minLength: 1, maxLength: 400, unit: 'binary' }),
      fc.string({ minLength: 190, maxLength: 260 }),
      fc.string({ minLength: 1, maxLength: 20_000, unit: 'grapheme' }),
      fc.constantFrom(
        'review-ops-long-' + 'y'.repeat(300),
        'a\u0000b',
        '\ud800'.repeat(250),
        'x'.repeat(50_009),
      ),
    );
    await fc.assert(
      fc.asyncProperty(header, async (batchHeader) => {
        const raw = msg('users.raw', 'not json at all', {
          [HEADERS.batchId]: batchHeader,
          [HEADERS.eventId]: randomUUID(),
          [HEADERS.source]: 'http-push',
        });
        const letter = deadLetterFor(raw, 'enrichment', new Error('not json'), 1);
        const rawRows = auditRowsOf(raw);
        const dlqRows = auditRowsOf(msg('users.dlq', letter.event));
        const record = jest.fn().mockResolvedValue(undefined);
        await new RecordEventsUseCase({ record } as unknown as AuditEventsRepository).execute([raw]);
        const batchId = (letter.event as DeadLetterEvent).payload.originalBatchId;
        expect(rawRows?.map((r) => r.batchId)).toEqual([batchId]);
        expect(dlqRows?.map((r) => r.batchId)).toEqual([batchId]);
        expect(record.mock.calls[0][1]).toEqual([expect.objectContaining({ batchId })]);
        expect(batchIdProblem(batchId ?? '')).toBeNull();
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('a raw record and its dead letter are one event', () => {
  const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);
  const E = randomUUID();

  it('whether the envelope and the headers agree, disagree or are missing, the raw row, its batch and the dead letter name the same event, batch and source', async () => {
    const value = fc.oneof(
      // A readable envelope, whose person enrichment may still refuse.
      fc
        .record({ eventId: fc.uuid(), batchId: fc.string({ minLength: 1, maxLength: 30 }) })
        .map(({ eventId, batchId }) =>
          JSON.stringify({
            ...env(eventId, { login: { uuid: randomUUID() }, email: 'not-an-email' }),
            batchId,
          }),
        ),
      fc.constant('not json at all'),
      fc.constant(JSON.stringify({ eventId: E, payload: {} })),
    );
    const header = (ofValue: fc.Arbitrary<string>) =>
      fc.option(fc.oneof(ofValue, fc.string({ maxLength: 20 })));
    await fc.assert(
      fc.asyncProperty(
        value,
        header(fc.uuid()),
        header(fc.string({ minLength: 1, maxLength: 30 })),
        header(fc.constantFrom('http-push', 'synthetic', 'bogus')),
        async (body, eventId, batchId, source) => {
          const headers: Record<string, string> = {};
          if (eventId !== null) headers[HEADERS.eventId] = eventId;
          if (batchId !== null) headers[HEADERS.batchId] = batchId;
          if (source !== null) headers[HEADERS.source] = source;
          const raw = msg('users.raw', body, headers);
          const letter = deadLetterFor(raw, 'enrichment', new Error('refused'), 1).event as DeadLetterEvent;
          const rawRows = auditRowsOf(raw);
          const [dlqRow] = auditRowsOf(msg('users.dlq', letter)) ?? [];
          const record = jest.fn().mockResolvedValue(undefined);
          await new RecordEventsUseCase({ record } as unknown as AuditEventsRepository).execute([raw]);
          if (rawRows === null) {
            // Nothing names the event: the dead letter is the record's only row, under its own id.
            expect(letter.payload.originalEventId).toBeNull();
            return;
          }
          // A record that names no batch has none; its dead letter files it under `unknown`.
          const named = (v: string) => (v === 'unknown' ? null : v);
          expect(rawRows.map((r) => [r.eventId, r.batchId, r.source])).toEqual([
            [dlqRow.eventId, named(dlqRow.batchId ?? 'unknown'), named(letter.source)],
          ]);
          const batches = record.mock.calls[0][1] as { batchId: string; source: string }[];
          expect(batches).toEqual(
            rawRows[0].batchId
              ? [expect.objectContaining({ batchId: dlqRow.batchId, source: letter.source })]
              : [],
          );
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('every row of a persisted event is in one batch', () => {
  const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);

  it('whatever its batch id holds (NUL, lone surrogates), the raw, enriched and persisted rows name the same storable batch', () => {
    // Any batch id an envelope may carry (one it refuses leaves the record unidentified, as it should).
    const batch = fc
      .oneof(
        fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }),
        fc.constantFrom('b-nul\u0000x', 'b-surr\ud800x', 'y'.repeat(200)),
      )
      .filter((b) => Envelope.shape.batchId.safeParse(b).success);
    fc.assert(
      fc.property(batch, (batchId) => {
        const eventId = randomUUID();
        const userId = randomUUID();
        // Each record crosses Kafka as JSON, as the services write it.
        const raw = msg('users.raw', { ...env(eventId, { login: { uuid: userId } }), batchId });
        const ack = msg('users.persisted', {
          ...env(randomUUID(), {
            userId,
            enrichedEventId: eventId,
            writtenAt: '2026-11-26T04:00:01.000Z',
            enriched: { partition: 4, offset: '9', producedAt: '2026-11-26T03:59:59.123456Z' },
          }),
          batchId,
        });
        const rows = [...(auditRowsOf(raw) ?? []), ...(auditRowsOf(ack) ?? [])];
        expect(rows.map((r) => r.topic)).toEqual(['users.raw', 'users.enriched', 'users.persisted']);
        const batches = new Set(rows.map((r) => r.batchId));
        expect(batches.size).toBe(1);
        expect(batchIdProblem([...batches][0] ?? '')).toBeNull();
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe("a raw record's batch-size header", () => {
  it('declares the size of the batch its batch header names, and of no other batch', async () => {
    const record = jest.fn().mockResolvedValue(undefined);
    const useCase = new RecordEventsUseCase({ record } as unknown as AuditEventsRepository);
    const eventId = randomUUID();
    const value = { ...env(eventId, { login: { uuid: randomUUID() } }), batchId: 'env-batch' };
    await useCase.execute([
      msg('users.raw', value, { [HEADERS.batchId]: 'header-batch', [HEADERS.batchSize]: '3' }),
      msg(
        'users.raw',
        { ...value, eventId: randomUUID(), batchId: 'same' },
        {
          [HEADERS.batchId]: 'same',
          [HEADERS.batchSize]: '2',
        },
      ),
      msg(
        'users.raw',
        { ...value, eventId: randomUUID(), batchId: 'no-header' },
        { [HEADERS.batchSize]: '4' },
      ),
    ]);
    expect(record.mock.calls[0][1]).toEqual([
      { batchId: 'env-batch', source: 'synthetic', expectedCount: null },
      { batchId: 'same', source: 'synthetic', expectedCount: 2 },
      { batchId: 'no-header', source: 'synthetic', expectedCount: 4 },
    ]);
  });
});
