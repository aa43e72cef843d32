import { type AddressInfo, type Socket, createServer } from 'node:net';
import { createKafka, type KafkaSaslMechanism } from '@sparkflow/kafka';
import { integrationSettings } from '@sparkflow/testing';
import { KAFKA_READY_TIMEOUT_MS, kafkaReady } from './readiness.indicator';

/**
 * The Kafka readiness check over a client made as the services make theirs (`createKafka` with the
 * services' retries and timeouts), against the stack's broker and against brokers that are not there: a
 * loopback port nothing listens on (the connection is refused) and one that accepts connections and never
 * answers (a hung broker). A probe that is not answered in time is itself unanswered, so each
 * outage must be reported down, with its reason, well before the services' client would give up (over a
 * minute).
 */
const s = integrationSettings();
// Far below what the services' client takes to give up, far above the probe's own deadline.
const HANG_BOUND_MS = 5_000;

const client = (brokers: string[]) =>
  createKafka(
    {
      brokers,
      clientId: 'kafka-ready-it',
      credentials: {
        mechanism: s.KAFKA_SASL_MECHANISM as KafkaSaslMechanism,
        username: s.KAFKA_USERNAME,
        password: s.KAFKA_ADMIN_PASSWORD,
      },
    },
    () => undefined,
  );

/** A loopback port that was free a moment ago and that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

async function timed<T>(work: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; ms: number }> {
  const started = Date.now();
  const [outcome] = await Promise.allSettled([work()]);
  return { outcome, ms: Date.now() - started };
}

const reasonOf = (outcome: PromiseSettledResult<unknown>): string =>
  outcome.status === 'rejected' ? String((outcome.reason as Error).message) : 'it answered up';

describe('kafkaReady', () => {
  it("is up against the stack's broker", async () => {
    const { outcome } = await timed(kafkaReady(client(s.KAFKA_BROKERS.split(','))));
    expect(outcome).toMatchObject({ status: 'fulfilled', value: { brokers: expect.any(Array) } });
  });

  it('is up while the first broker of the list refuses connections and another answers', async () => {
    const brokers = [`127.0.0.1:${await closedPort()}`, ...s.KAFKA_BROKERS.split(',')];
    const { outcome } = await timed(kafkaReady(client(brokers)));
    expect(outcome).toMatchObject({ status: 'fulfilled', value: { brokers: expect.any(Array) } });
  });

  it('is down with the reason, naming the broker, soon after the connection is refused', async () => {
    const broker = `127.0.0.1:${await closedPort()}`;
    const { outcome, ms } = await timed(kafkaReady(client([broker])));
    expect(outcome.status).toBe('rejected');
    expect(reasonOf(outcome)).toContain(`Kafka at ${broker}:`);
    expect(reasonOf(outcome)).toContain('ECONNREFUSED');
    expect(ms).toBeLessThan(HANG_BOUND_MS);
  });

  it('is down within its deadline, naming the broker and the deadline, when the broker never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const broker = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const { outcome, ms } = await timed(kafkaReady(client([broker])));
      expect(reasonOf(outcome)).toBe(`no answer from Kafka at ${broker} within ${KAFKA_READY_TIMEOUT_MS} ms`);
      expect(ms).toBeLessThan(HANG_BOUND_MS);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('keeps answering with every probe through an outage, each within the bound', async () => {
    const broker = `127.0.0.1:${await closedPort()}`;
    const probe = kafkaReady(client([broker]));
    const rounds = await Promise.all([timed(probe), timed(probe), timed(probe)]);
    for (const { outcome, ms } of rounds) {
      expect(reasonOf(outcome)).toContain(`Kafka at ${broker}:`);
      expect(ms).toBeLessThan(HANG_BOUND_MS);
    }
  });
});
