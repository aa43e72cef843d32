import type { RawUserEvent } from '@sparkflow/contracts';
import type { EventProducer } from '@sparkflow/kafka';
import { recordingProducer } from '@sparkflow/testing';
import { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import { SyntheticUsersUseCase } from './synthetic-users.use-case';

const COUNT = 1_200; // three chunks of 500, 500 and 200

/** The use case over a producer that records every event, and fails the sends whose number `failing` names. */
function synthetic(failing: (send: number) => boolean = () => false) {
  const { producer, sent } = recordingProducer<RawUserEvent>();
  let sends = 0;
  const flaky = {
    send: async (topic: string, events: Parameters<typeof producer.send>[1]) => {
      if (failing(++sends)) throw new Error('the broker went away');
      return producer.send(topic, events);
    },
  };
  const useCase = new SyntheticUsersUseCase(
    new IngestUsersUseCase(flaky as unknown as EventProducer),
    200_000,
  );
  const events = () => sent.flatMap((s) => s.events.map((e) => e.event));
  return { useCase, events };
}

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
      const { useCase, events } = synthetic((send) => send === failedSend);
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
});
