import { SparkflowErrorCode } from '@sparkflow/contracts';
import { kafkaOrigin, SparkflowException } from '@sparkflow/kafka';
import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import type { CliConfig } from '../cli.config';
import { CliError, ComponentDownError } from '../errors';
import { cliKafka, explainKafkaError } from './connection';
import { GroupJoinError } from './reader';

const cfg = {
  kafkaBrokers: ['127.0.0.1:39092'],
  kafkaLogin: { mechanism: 'scram-sha-512', username: 'sparkflow-enrichment', password: 'pw' },
} as CliConfig;

/** A broker's refusal as kafkajs makes it (its typings take only a message, its code takes the broker's error). */
const protocolError = (type: string, code: number, message: string) =>
  new KafkaJSProtocolError({ type, code, retriable: false, message } as unknown as Error);

const explained = (err: unknown): unknown => {
  try {
    explainKafkaError(cfg, err);
  } catch (e) {
    return e;
  }
  throw new Error('explainKafkaError returned');
};

describe('cliKafka', () => {
  it('is a client a producer can send with through either library: its brokers and principal are recorded', () => {
    const origin = kafkaOrigin(cliKafka(cfg));
    expect(origin?.settings).toEqual({
      clientId: 'sparkflow-cli',
      brokers: cfg.kafkaBrokers,
      credentials: cfg.kafkaLogin,
    });
    expect(origin?.bounds).toMatchObject({ connectionTimeoutMs: 2000, retries: 2 });
  });
});

describe('explainKafkaError', () => {
  it('passes an error the CLI already explained through unchanged, so it is not nested in another', () => {
    const down = new ComponentDownError('Kafka', '127.0.0.1:39092', 'ECONNREFUSED 127.0.0.1:39092');
    expect(explained(down)).toBe(down);
    const other = new CliError('no users.dlq topic');
    expect(explained(other)).toBe(other);
  });

  it('says Kafka is not reachable once for a connection refused', () => {
    const err = explained(
      new KafkaJSNumberOfRetriesExceeded(new Error('connect ECONNREFUSED 127.0.0.1:39092'), {
        retryCount: 2,
        retryTime: 800,
      }),
    );
    expect(err).toBeInstanceOf(ComponentDownError);
    expect((err as Error).message.match(/not reachable/g)).toHaveLength(1);
  });

  it("names the principal and the CLI's consumer group when kafkajs found no coordinator for it", () => {
    const err = explained(
      new GroupJoinError(
        'sparkflow-cli-1',
        Object.assign(new Error('Failed to find group coordinator'), {
          name: 'KafkaJSGroupCoordinatorNotFound',
        }),
      ),
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(1);
    expect((err as Error).message).toMatch(
      /^Kafka refused sparkflow-enrichment the consumer group .*sparkflow-cli-1/,
    );
    expect((err as Error).message).toContain('KAFKA_USERNAME');
  });

  it('explains a group the broker refused by name like any refused operation', () => {
    const refused = protocolError('GROUP_AUTHORIZATION_FAILED', 30, 'Not authorized to access group');
    const err = explained(new GroupJoinError('sparkflow-cli-1', refused));
    expect((err as Error).message).toMatch(/^Kafka refused sparkflow-enrichment this operation .*ACLs/);
  });

  it('gives any other Kafka failure in one line, not as an unexpected error', () => {
    const cause = protocolError('INVALID_REQUEST', 42, 'the request was malformed');
    const err = explained(
      new SparkflowException(
        SparkflowErrorCode.BrokerRejected,
        'producing 1 records to users.raw: bad\nmore',
        {
          cause,
        },
      ),
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toBe(
      'Kafka at 127.0.0.1:39092 failed: producing 1 records to users.raw: bad',
    );
  });

  it('rethrows what is not a Kafka failure as it is', () => {
    const bug = new TypeError('x is undefined');
    expect(explained(bug)).toBe(bug);
  });
});
