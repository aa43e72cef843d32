import fc from 'fast-check';
import { SparkflowErrorCode, eventTimeMicros, type RawUserEvent } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import type { EventProducer } from '@sparkflow/kafka';
import { recordingProducer } from '@sparkflow/testing';
import { EventClock, IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import type { KeyedPush, KeyedPushStore } from '../push/idempotency-key';
import { SyntheticUsersUseCase, syntheticBatchId } from './synthetic-users.use-case';

const COUNT = 1_200; // three chunks of 500, 500 and 200

/** The store's contract in memory: the first proposal for a scope stands, and every claim answers it. */
function memoryStore(): KeyedPushStore & { entries: Map<string, KeyedPush> } {
  const entries = new Map<string, KeyedPush>();
  return {
    entries,
    claim: async (scope, proposed) => {
      if (!entries.has(scope)) entries.set(scope, proposed);
      return entries.get(scope) as KeyedPush;
    },
  };
}

/**
 * A replica: the use case over a producer that records every event, and fails the sends whose number
 * `failing` names. Its event clock starts at `clockStart` µs and moves 1 s on each reading, so a time
 * taken from it at production differs from attempt to attempt and from replica to replica.
 */
function synthetic(
  opts: { failing?: (send: number) => boolean; store?: KeyedPushStore; clockStart?: bigint } = {},
) {
  const { producer, sent } = recordingProducer<RawUserEvent>();
  const failing = opts.failing ?? (() => false);
  let sends = 0;
  const flaky = {
    send: async (topic: string, events: Parameters<typeof producer.send>[1]) => {
      if (failing(++sends)) throw new Error('the broker went away');
      return producer.send(topic, events);
    },
  };
  let now = opts.clockStart ?? 1_796_000_000_000_000n;
  const clock = new EventClock(() => (now += 1_000_000n));
  const store = opts.store ?? memoryStore();
  const useCase = new SyntheticUsersUseCase(
    new IngestUsersUseCase(flaky as unknown as EventProducer, clock),
    200_000,
    store,
  );
  const events = () => sent.flatMap((s) => s.events.map((e) => e.event));
  return { useCase, events, store };
}

/** Each event as the bytes Kafka is given. */
const bytes = (events: readonly RawUserEvent[]) => events.map((e) => JSON.stringify(e));

describe('POST /v1/synthetic sent again', () => {
  it('makes the same people under the same event ids', async () => {
    const { useCase, events } = synthetic();
    await useCase.execute({ count: COUNT, seed: 'again' });
    const first = events().map((e) => [e.eventId, e.payload.login.uuid]);
    await useCase.execute({ count: COUNT, seed: 'again' });
    const second = events()
      .slice(COUNT)
      .map((e) => [e.eventId, e.payload.login.uuid]);
    expect(second).toEqual(first);
    expect(new Set(first.map(([id]) => id)).size).toBe(COUNT);
  });

  it('after failing half-way, adds exactly the batch’s events, whatever chunk failed', async () => {
    for (const failedSend of [1, 2, 3]) {
      const { useCase, events } = synthetic({ failing: (send) => send === failedSend });
      await expect(useCase.execute({ count: COUNT, seed: 'retried' })).rejects.toThrow('went away');
      const retry = await useCase.execute({ count: COUNT, seed: 'retried' });
      expect(retry).toMatchObject({ status: 202, body: { accepted: COUNT } });
      expect(new Set(events().map((e) => e.eventId)).size).toBe(COUNT);
    }
  });

  it('makes other events for another seed or page', async () => {
    const { useCase, events } = synthetic();
    await useCase.execute({ count: 10, seed: 'one' });
    await useCase.execute({ count: 10, seed: 'two' });
    await useCase.execute({ count: 10, seed: 'one', page: 2 });
    expect(new Set(events().map((e) => e.eventId)).size).toBe(30);
  });

  it('retried after a failed chunk, on the same replica or another, makes byte-identical events: the first attempt’s times', async () => {
    // The invariant: whatever chunk failed, and wherever and however often the request is sent again,
    // every event of the batch is the one a clean first pass makes, event time included: base + index µs.
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          count: fc.integer({ min: 1, max: 1_100 }),
          seed: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
          page: fc.integer({ min: 1, max: 5 }),
          failedSend: fc.integer({ min: 1, max: 4 }),
          retriesOnOther: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
        }),
        async ({ count, seed, page, failedSend, retriesOnOther }) => {
          const clean = synthetic();
          await clean.useCase.execute({ count, seed, page });
          const expected = bytes(clean.events());

          const store = memoryStore();
          const sends = Math.ceil(count / 500);
          const a = synthetic({ store, failing: (send) => send === failedSend && send <= sends });
          const b = synthetic({ store, clockStart: 1_797_000_000_000_000n });
          const first = a.useCase.execute({ count, seed, page });
          if (failedSend <= sends) await expect(first).rejects.toThrow('went away');
          else await first;
          for (const other of retriesOnOther) await (other ? b : a).useCase.execute({ count, seed, page });

          const base = eventTimeMicros(clean.events()[0].producedAt);
          expect(clean.events().map((e) => eventTimeMicros(e.producedAt) - base)).toEqual(
            Array.from({ length: count }, (_, i) => BigInt(i)),
          );
          for (const produced of [a.events(), b.events()]) {
            const distinct = new Map(produced.map((e) => [e.eventId, JSON.stringify(e)]));
            expect(new Set(produced.map((e) => JSON.stringify(e))).size).toBe(distinct.size);
            for (const event of distinct.values()) expect(expected).toContain(event);
          }
          expect(new Set([...a.events(), ...b.events()].map((e) => e.eventId)).size).toBe(count);
          expect([...store.entries.values()].map((e) => e.batchId)).toEqual([
            syntheticBatchId(seed, page, count),
          ]);
        },
      ),
      { seed: 20261202, numRuns: 15 },
    );
  });

  it('is not produced while the store of its times does not answer: 503 POSTGRES_UNAVAILABLE, then produced on retry', async () => {
    let down = true;
    const memory = memoryStore();
    const store: KeyedPushStore = {
      claim: async (scope, proposed, ttl) => {
        if (down) throw new Error('timeout exceeded when trying to connect');
        return memory.claim(scope, proposed, ttl);
      },
    };
    const { useCase, events } = synthetic({ store });
    const refused = await useCase.execute({ count: 20, seed: 'down' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SparkflowException);
    expect((refused as SparkflowException).code).toBe(SparkflowErrorCode.PostgresUnavailable);
    expect((refused as Error).message).toContain('synthetic-down-p1-n20');
    expect(events()).toEqual([]);
    down = false;
    expect(await useCase.execute({ count: 20, seed: 'down' })).toMatchObject({ status: 202 });
    expect(events()).toHaveLength(20);
  });

  it('keeps its times 24 h under a scope of the batch alone', async () => {
    const ttls: number[] = [];
    const memory = memoryStore();
    const { useCase } = synthetic({
      store: { claim: (scope, proposed, ttl) => (ttls.push(ttl), memory.claim(scope, proposed, ttl)) },
    });
    await useCase.execute({ count: 5, seed: 'kept' });
    await useCase.execute({ count: 5, seed: 'kept', page: 2 });
    expect(ttls).toEqual([86_400, 86_400]);
    expect(memory.entries.size).toBe(2);
  });

  it('refuses a bad body before asking the store', async () => {
    const claims: string[] = [];
    const { useCase } = synthetic({
      store: { claim: async (scope, proposed) => (claims.push(scope), proposed) },
    });
    expect(await useCase.execute({ count: 0 })).toMatchObject({ status: 400 });
    expect(claims).toEqual([]);
  });
});
