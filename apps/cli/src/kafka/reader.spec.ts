import type { Kafka } from 'kafkajs';
import { GroupJoinError, readRanges } from './reader';

/** A consumer whose group cannot be joined: kafkajs's run() resolves after reporting a crash, as it does. */
function kafkaWhoseGroupFails(error: Error) {
  const crash: ((e: { payload: { error: Error; restart: boolean } }) => void)[] = [];
  const seek = jest.fn(() => {
    throw new Error('Consumer group was not initialized, consumer#run must be called first');
  });
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: (_: string, fn: (typeof crash)[number]) => {
      crash.push(fn);
      return () => undefined;
    },
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => {
      for (const fn of crash) fn({ payload: { error, restart: false } });
    },
    seek,
    pause: jest.fn(),
    disconnect: jest.fn(async () => undefined),
  };
  return { kafka: { consumer: () => consumer } as unknown as Kafka, consumer };
}

describe('readRanges', () => {
  it('fails with the reason the group could not be joined, not with the seek that follows', async () => {
    const cause = Object.assign(new Error('Failed to find group coordinator'), {
      name: 'KafkaJSGroupCoordinatorNotFound',
    });
    const { kafka, consumer } = kafkaWhoseGroupFails(cause);
    const read = readRanges(kafka, 'users.dlq', [{ partition: 0, from: 0n, to: 5n }], () => 'continue');
    await expect(read).rejects.toThrow(GroupJoinError);
    await expect(read).rejects.toMatchObject({
      cause,
      groupId: expect.stringMatching(/^sparkflow-cli-/),
    });
    expect(consumer.seek).not.toHaveBeenCalled();
    expect(consumer.disconnect).toHaveBeenCalled();
  });
});
