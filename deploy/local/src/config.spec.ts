import { loadStackConfig } from './config';
import { UsageError } from './errors';

describe('stack settings', () => {
  it('defaults to the standard ports and a data folder inside the repo', () => {
    const cfg = loadStackConfig({});
    expect([cfg.KAFKA_PORT, cfg.CASSANDRA_PORT, cfg.POSTGRES_PORT]).toEqual([9092, 9042, 5432]);
    expect(cfg.home).toBe(`${cfg.repoRoot}/.sparkflow`);
  });

  it('takes every port from the environment', () => {
    const cfg = loadStackConfig({ KAFKA_PORT: '19092', CASSANDRA_PORT: '19042', POSTGRES_PORT: '15432' });
    expect([cfg.KAFKA_PORT, cfg.CASSANDRA_PORT, cfg.POSTGRES_PORT]).toEqual([19092, 19042, 15432]);
  });

  it('names each malformed variable', () => {
    expect(() => loadStackConfig({ KAFKA_PORT: 'ninety', CASSANDRA_KEYSPACE: 'Bad-Name' })).toThrow(UsageError);
    expect(() => loadStackConfig({ KAFKA_PORT: 'ninety', CASSANDRA_KEYSPACE: 'Bad-Name' })).toThrow(
      /KAFKA_PORT[\s\S]*CASSANDRA_KEYSPACE/,
    );
  });
});
