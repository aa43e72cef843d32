import { Kafka } from 'kafkajs';
import { kafkajsClusterFactory, leaveOnBehalf } from './leave-group';

/** A `Kafka` whose private cluster factory makes clusters that answer LeaveGroup with `answers`, in turn. */
function kafkaAnswering(answers: (Error | 'ok')[]): {
  kafka: Kafka;
  sent: string[];
  disconnects: () => number;
} {
  const sent: string[] = [];
  let disconnects = 0;
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'] });
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  )!;
  (kafka as unknown as Record<symbol, unknown>)[symbol] = () => ({
    connect: async () => undefined,
    disconnect: async () => void disconnects++,
    findGroupCoordinator: async () => ({
      leaveGroup: async ({ memberId }: { memberId: string }) => {
        sent.push(memberId);
        const answer = answers.shift() ?? 'ok';
        if (answer !== 'ok') throw answer;
      },
    }),
  });
  return { kafka, sent, disconnects: () => disconnects };
}

const protocolError = (type: string) => Object.assign(new Error(type), { type });

describe('leaveOnBehalf', () => {
  it("finds kafkajs's cluster factory on a Kafka of the installed version", () => {
    // The one private part of kafkajs libs/kafka uses: a kafkajs upgrade that moves it fails here.
    expect(kafkajsClusterFactory(new Kafka({ brokers: ['127.0.0.1:1'] }))).toEqual(expect.any(Function));
  });

  it('tries again until the coordinator answers, then disconnects', async () => {
    const { kafka, sent, disconnects } = kafkaAnswering([
      protocolError('COORDINATOR_LOAD_IN_PROGRESS'),
      protocolError('NOT_COORDINATOR'),
      'ok',
    ]);
    await expect(leaveOnBehalf(kafka, 'g', 'm-1', { giveUpAfterMs: 5_000, retryEveryMs: 1 })).resolves.toBe(
      'left',
    );
    expect(sent).toEqual(['m-1', 'm-1', 'm-1']);
    expect(disconnects()).toBe(1);
  });

  it('stops when the coordinator no longer knows the member', async () => {
    const { kafka, sent } = kafkaAnswering([protocolError('UNKNOWN_MEMBER_ID')]);
    await expect(leaveOnBehalf(kafka, 'g', 'm-1', { giveUpAfterMs: 5_000, retryEveryMs: 1 })).resolves.toBe(
      'already gone',
    );
    expect(sent).toHaveLength(1);
  });

  it('gives up after its budget, or once cancelled', async () => {
    const failing = () => kafkaAnswering(Array.from({ length: 1000 }, () => new Error('ECONNREFUSED'))).kafka;
    await expect(leaveOnBehalf(failing(), 'g', 'm-1', { giveUpAfterMs: 30, retryEveryMs: 5 })).resolves.toBe(
      'gave up',
    );
    await expect(
      leaveOnBehalf(failing(), 'g', 'm-1', { giveUpAfterMs: 60_000, retryEveryMs: 5, cancelled: () => true }),
    ).resolves.toBe('gave up');
  });

  it('does nothing on a kafkajs without the factory', async () => {
    const kafka = {} as Kafka;
    await expect(leaveOnBehalf(kafka, 'g', 'm-1', { giveUpAfterMs: 10 })).resolves.toBe('unsupported');
  });
});
