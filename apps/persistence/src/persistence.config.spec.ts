import { loadPersistenceConfig } from './persistence.config';

describe('persistence configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('defaults to the local stack', () => {
    process.env = {};
    expect(loadPersistenceConfig()).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:9092',
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042',
      CASSANDRA_KEYSPACE: 'sparkflow',
      PERSISTENCE_HTTP_PORT: 3002,
    });
  });

  it('stops at boot naming each bad variable and what it expects', () => {
    process.env = { PERSISTENCE_HTTP_PORT: 'http', CASSANDRA_KEYSPACE: 'Users-Table' };
    expect(() => loadPersistenceConfig()).toThrow(/CASSANDRA_KEYSPACE: a lower-case CQL identifier/);
    expect(() => loadPersistenceConfig()).toThrow(/PERSISTENCE_HTTP_PORT: Invalid input/);
  });
});
