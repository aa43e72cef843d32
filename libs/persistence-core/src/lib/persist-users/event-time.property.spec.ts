import { randomUUID } from 'node:crypto';
import * as fc from 'fast-check';
import { PersistedEvent, SparkflowErrorCode, formatEventTime } from '@sparkflow/contracts';
import type { InboundMessage, OutboundEvent, SparkflowException } from '@sparkflow/kafka';
import { buildEnrichedUser, skewedBatch } from '@sparkflow/testing';
import type { UserWrite, UsersRepository } from '../users/users.repository';
import { PersistUsersUseCase, WRITE_CHUNK_LIMITS } from './persist-users.use-case';

/** When the broker took every record of the sample (its timestamp has milliseconds). */
const TAKEN_MS = Date.parse('2026-11-26T00:00:00.000Z');
const NOW_MICROS = BigInt(TAKEN_MS) * 1000n;
/** When persistence reads them: a day later (a lagging consumer, a replay), which must not change a verdict. */
const READ_AT_MICROS = NOW_MICROS + 86_400_000_000n;
describe('PersistUsersUseCase, whatever the event time', () => {
  it('writes no record whose producedAt is ahead of its broker timestamp by more than the skew, however late it is read, or before the epoch: dead-lettered naming producedAt; writes every other', async () => {
    await fc.assert(
      fc.asyncProperty(skewedBatch, async ({ skewMs, offsets }) => {
        const writes: UserWrite[] = [];
        const users = {
          upsertMany: async (w: readonly UserWrite[]) => void writes.push(...w),
          upsert: async (w: UserWrite) => void writes.push(w),
        };
        const sent: OutboundEvent[] = [];
        const producer = { send: async (_t: string, e: readonly OutboundEvent[]) => (sent.push(...e), []) };
        const useCase = new PersistUsersUseCase(
          users as unknown as UsersRepository,
          producer as never,
          4,
          undefined,
          WRITE_CHUNK_LIMITS,
          { maxSkewMs: skewMs, nowMicros: () => READ_AT_MICROS },
        );
        const events = offsets.map((offset) => {
          const userId = randomUUID();
          return {
            eventId: randomUUID(),
            schemaVersion: 1,
            source: 'synthetic',
            batchId: 'event-time',
            producedAt: formatEventTime(NOW_MICROS + offset),
            payload: buildEnrichedUser(userId),
          };
        });
        const outcomes = await useCase.execute(
          events.map((e, i): InboundMessage => ({
            topic: 'users.enriched',
            partition: 0,
            offset: String(i),
            key: e.payload.userId,
            value: Buffer.from(JSON.stringify(e)),
            headers: {},
            timestamp: TAKEN_MS,
            traceHeaders: {},
          })),
        );

        const storable = (offset: bigint) => offset <= BigInt(skewMs) * 1000n && NOW_MICROS + offset >= 0n;
        const kept = events.filter((_, i) => storable(offsets[i]));
        offsets.forEach((offset, i) => {
          if (storable(offset)) return expect(outcomes[i]).toEqual({ status: 'ok' });
          expect(outcomes[i].status).toBe('failed');
          const error = (outcomes[i] as { error: SparkflowException }).error;
          expect(error.code).toBe(SparkflowErrorCode.SemanticInvalid);
          expect(error.reasons).toEqual([
            {
              code: SparkflowErrorCode.SemanticInvalid,
              path: 'producedAt',
              message: expect.stringContaining(`producedAt ${events[i].producedAt} is `),
            },
          ]);
        });
        expect(writes.map((w) => [w.eventId, w.producedAt])).toEqual(
          kept.map((e) => [e.eventId, e.producedAt]),
        );
        expect(sent.map((e) => PersistedEvent.parse(e.event).eventId)).toEqual(kept.map((e) => e.eventId));
      }),
      { seed: 20261202, numRuns: 300 },
    );
  });
});
