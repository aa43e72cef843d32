import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { HEADERS, TOPICS, type PersistedEvent } from '@sparkflow/contracts';
import type { EventProducer, InboundMessage } from '@sparkflow/kafka';
import { PersistUsersUseCase, type UserWrite, type UsersRepository } from '@sparkflow/persistence-core';
import { buildEnrichedUser, recordingProducer } from '@sparkflow/testing';
import { PersistUsersHandler } from './persist-users.handler';

/** A users.enriched record as the consumer hands it over. */
function enrichedRecord(offset: number, value: string): InboundMessage {
  return {
    topic: TOPICS.usersEnriched,
    partition: 0,
    offset: String(offset),
    key: null,
    value: Buffer.from(value),
    headers: { [HEADERS.eventId]: randomUUID() },
    timestamp: 0,
    traceHeaders: {},
  };
}

describe('PersistUsersHandler', () => {
  it('writes each valid person once, acknowledges it on users.persisted, and fails a record it cannot read', async () => {
    const writes: UserWrite[] = [];
    const users = {
      upsert: async (w: UserWrite) => void writes.push(w),
      upsertMany: async (ws: readonly UserWrite[]) => void writes.push(...ws),
    } as unknown as UsersRepository;
    const { producer, sent } = recordingProducer<PersistedEvent>();
    const module = await Test.createTestingModule({
      controllers: [PersistUsersHandler],
      providers: [
        {
          provide: PersistUsersUseCase,
          useValue: new PersistUsersUseCase(users, producer as unknown as EventProducer),
        },
      ],
    }).compile();

    const userId = randomUUID();
    const event = {
      eventId: randomUUID(),
      schemaVersion: 1,
      source: 'backfill',
      batchId: 'batch-7',
      producedAt: '2026-11-30T10:00:00.000001Z',
      payload: buildEnrichedUser(userId),
    };
    const outcomes = await module
      .get(PersistUsersHandler)
      .handle([enrichedRecord(1, JSON.stringify(event)), enrichedRecord(2, '{not json')]);

    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'failed']);
    expect(writes).toEqual([
      {
        user: event.payload,
        source: 'backfill',
        batchId: 'batch-7',
        eventId: event.eventId,
        producedAt: '2026-11-30T10:00:00.000001Z',
      },
    ]);
    expect(sent.map((s) => s.topic)).toEqual([TOPICS.usersPersisted]);
    expect(
      sent[0].events.map((e) => [e.key, e.event.eventId, e.event.batchId, e.event.payload.userId]),
    ).toEqual([[userId, event.eventId, 'batch-7', userId]]);
  });
});
