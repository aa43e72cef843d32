import { kafkaClientEnv, loadStackConfig } from './config';
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
    expect(() => loadStackConfig({ KAFKA_PORT: 'ninety', CASSANDRA_KEYSPACE: 'Bad-Name' })).toThrow(
      UsageError,
    );
    expect(() => loadStackConfig({ KAFKA_PORT: 'ninety', CASSANDRA_KEYSPACE: 'Bad-Name' })).toThrow(
      /KAFKA_PORT[\s\S]*CASSANDRA_KEYSPACE/,
    );
  });

  it('gives each Kafka principal its own password, the development default unless set', () => {
    const cfg = loadStackConfig({ KAFKA_ENRICHMENT_PASSWORD: 'enrichment-secret-1' });
    expect(cfg.kafkaPasswords.admin).toBe('sparkflow-admin-dev');
    expect(cfg.kafkaPasswords.enrichment).toBe('enrichment-secret-1');
    expect(kafkaClientEnv(cfg, 'enrichment')).toEqual({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_USERNAME: 'sparkflow-enrichment',
      KAFKA_PASSWORD: 'enrichment-secret-1',
    });
  });

  it('refuses an API key list holding a key the services would refuse, naming the variable', () => {
    expect(() => loadStackConfig({ INGESTION_API_KEYS: 'dev-ingestion-key,x' })).toThrow(
      /INGESTION_API_KEYS: one or more comma-separated keys of at least 8 characters/,
    );
    expect(() => loadStackConfig({ AUDIT_API_KEYS: ' , ' })).toThrow(/AUDIT_API_KEYS/);
    expect(loadStackConfig({ AUDIT_API_KEYS: 'audit-key-one, audit-key-two' }).AUDIT_API_KEYS).toBe(
      'audit-key-one, audit-key-two',
    );
  });

  it('refuses a Kafka password the JAAS line or the SCRAM tools cannot carry, naming it', () => {
    expect(() => loadStackConfig({ KAFKA_ADMIN_PASSWORD: 'has"quote-and,comma' })).toThrow(
      /KAFKA_ADMIN_PASSWORD/,
    );
    expect(() => loadStackConfig({ KAFKA_AUDIT_PASSWORD: 'short' })).toThrow(/KAFKA_AUDIT_PASSWORD/);
  });

  it("takes PostgreSQL's sizes only as a whole number and a unit PostgreSQL reads, naming the variable", () => {
    const cfg = loadStackConfig({ POSTGRES_SHARED_BUFFERS: '2GB', POSTGRES_MAX_WAL_SIZE: '512MB' });
    expect([cfg.POSTGRES_SHARED_BUFFERS, cfg.POSTGRES_MAX_WAL_SIZE]).toEqual(['2GB', '512MB']);
    // A bare number is in 8 kB pages to PostgreSQL, `gb` is no unit of its, and the value is one argument.
    expect(() => loadStackConfig({ POSTGRES_MAX_WAL_SIZE: '16MB' })).toThrow(
      /POSTGRES_MAX_WAL_SIZE: at least 32MB/,
    );
    expect(() => loadStackConfig({ POSTGRES_SHARED_BUFFERS: '64kB' })).toThrow(
      /POSTGRES_SHARED_BUFFERS: at least 128kB/,
    );
    expect(loadStackConfig({ POSTGRES_MAX_WAL_SIZE: '32MB' }).POSTGRES_MAX_WAL_SIZE).toBe('32MB');
    // A malformed size gets the format's message alone, not a minimum it was never compared with.
    expect(() => loadStackConfig({ POSTGRES_SHARED_BUFFERS: '1gb' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('at least') }),
    );
    for (const bad of ['1024', '1gb', '1 GB', '0MB', '1.5GB', '1GB -c fsync=off', '']) {
      expect(() => loadStackConfig({ POSTGRES_SHARED_BUFFERS: bad })).toThrow(/POSTGRES_SHARED_BUFFERS/);
      expect(() => loadStackConfig({ POSTGRES_MAX_WAL_SIZE: bad })).toThrow(/POSTGRES_MAX_WAL_SIZE/);
    }
  });
});
