import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { RecordEventsUseCase, type AuditEventsRepository, type AuditRow } from '@sparkflow/audit-store';
import { HEADERS, TOPICS } from '@sparkflow/contracts';
import { OK, type InboundMessage } from '@sparkflow/kafka';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { RecordEventsHandler } from './record-events.handler';

describe('RecordEventsHandler', () => {
  it('subscribes to users.raw, users.dlq and users.persisted, never to the large users.enriched records', () => {
    const patterns = Object.getOwnPropertyNames(RecordEventsHandler.prototype)
      .filter((name) => name !== 'constructor')
      .flatMap(
        (name) =>
          Reflect.getMetadata(
            PATTERN_METADATA,
            RecordEventsHandler.prototype[name as keyof RecordEventsHandler],
          ) as string[],
      );
    expect(patterns.sort()).toEqual([TOPICS.usersDlq, TOPICS.usersPersisted, TOPICS.usersRaw]);
  });

  it('records the fate of each record of every topic: one row per event and topic, with its batch', async () => {
    const recorded: { rows: AuditRow[]; batches: unknown[] }[] = [];
    const repository = {
      record: async (rows: AuditRow[], batches: unknown[]) => void recorded.push({ rows, batches }),
    } as unknown as AuditEventsRepository;
    const module = await Test.createTestingModule({
      controllers: [RecordEventsHandler],
      providers: [{ provide: RecordEventsUseCase, useValue: new RecordEventsUseCase(repository) }],
    }).compile();
    const handler = module.get(RecordEventsHandler);

    const eventId = randomUUID();
    const envelope = {
      eventId,
      schemaVersion: 1,
      source: 'synthetic',
      batchId: 'batch-9',
      producedAt: '2026-11-30T10:00:00.000000Z',
    };
    const record = (topic: string, payload: unknown): InboundMessage => ({
      topic,
      partition: 3,
      offset: '41',
      key: null,
      value: Buffer.from(JSON.stringify({ ...envelope, payload })),
      headers: { [HEADERS.eventId]: eventId, [HEADERS.batchId]: 'batch-9', [HEADERS.batchSize]: '2' },
      timestamp: 0,
      traceHeaders: {},
    });
    const userId = randomUUID();
    await expect(handler.raw([record(TOPICS.usersRaw, { login: { uuid: userId } })])).resolves.toEqual([OK]);
    await expect(
      handler.persisted([
        record(TOPICS.usersPersisted, {
          userId,
          enrichedEventId: eventId,
          writtenAt: envelope.producedAt,
          enriched: { partition: 5, offset: '17', producedAt: '2026-11-30T10:00:00.000100Z' },
        }),
      ]),
    ).resolves.toEqual([OK]);

    const rows = recorded.flatMap((r) => r.rows);
    expect(rows.map((r) => [r.eventId, r.topic, r.outcome, r.batchId, r.partition, r.offset])).toEqual([
      [eventId, TOPICS.usersRaw, 'ingested', 'batch-9', 3, '41'],
      [eventId, TOPICS.usersEnriched, 'enriched', 'batch-9', 5, '17'],
      [eventId, TOPICS.usersPersisted, 'persisted', 'batch-9', 3, '41'],
    ]);
    expect(rows[1].producedAt).toEqual(new Date('2026-11-30T10:00:00.000100Z'));
    expect(rows.slice(1).map((r) => r.userId)).toEqual([userId, userId]);
  });
});
