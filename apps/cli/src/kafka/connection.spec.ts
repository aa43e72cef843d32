import { KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import type { CliConfig } from '../cli.config';
import { CliError, ComponentDownError } from '../errors';
import { explainKafkaError } from './connection';

const cfg = {
  kafkaBrokers: ['127.0.0.1:39092'],
  kafkaLogin: { mechanism: 'scram-sha-512', username: 'sparkflow-enrichment', password: 'pw' },
} as CliConfig;

const explained = (err: unknown): unknown => {
  try {
    explainKafkaError(cfg, err);
  } catch (e) {
    return e;
  }
  throw new Error('explainKafkaError returned');
};

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

  it('rethrows what is not a Kafka failure as it is', () => {
    const bug = new TypeError('x is undefined');
    expect(explained(bug)).toBe(bug);
  });
});
