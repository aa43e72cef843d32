import { describeServiceConfig } from '@sparkflow/testing';
import { validatePersistenceConfig } from './persistence.config';

describeServiceConfig(
  'persistence',
  validatePersistenceConfig,
  {
    defaults: {
      PERSISTENCE_EVENT_TIME_MAX_SKEW_MS: 60_000,
      KAFKA_BROKERS: '127.0.0.1:9092',
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042',
      CASSANDRA_KEYSPACE: 'sparkflow',
      PERSISTENCE_HTTP_PORT: 3002,
    },
    invalid: {
      env: { PERSISTENCE_HTTP_PORT: 'http', CASSANDRA_KEYSPACE: 'Users-Table' },
      says: [/CASSANDRA_KEYSPACE: a lower-case CQL identifier/, /PERSISTENCE_HTTP_PORT: Invalid input/],
    },
  },
  (loadWith) => {
    it('reads the event-time skew in whole milliseconds, from one second to one day, and names a bad one', () => {
      expect(
        loadWith({ PERSISTENCE_EVENT_TIME_MAX_SKEW_MS: '86400000' }).PERSISTENCE_EVENT_TIME_MAX_SKEW_MS,
      ).toBe(86_400_000);
      for (const bad of ['minute', '999', '-1', '86400001'])
        expect(() => loadWith({ PERSISTENCE_EVENT_TIME_MAX_SKEW_MS: bad })).toThrow(
          /PERSISTENCE_EVENT_TIME_MAX_SKEW_MS/,
        );
      expect(() => loadWith({ PERSISTENCE_EVENT_TIME_MAX_SKEW_MS: '86400001' })).toThrow(
        /at most 86400000 ms/,
      );
    });
  },
);
