import { describeServiceConfig } from '@sparkflow/testing';
import { validatePersistenceConfig } from './persistence.config';

describeServiceConfig('persistence', validatePersistenceConfig, {
  defaults: {
    KAFKA_BROKERS: '127.0.0.1:9092',
    CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042',
    CASSANDRA_KEYSPACE: 'sparkflow',
    PERSISTENCE_HTTP_PORT: 3002,
  },
  invalid: {
    env: { PERSISTENCE_HTTP_PORT: 'http', CASSANDRA_KEYSPACE: 'Users-Table' },
    says: [/CASSANDRA_KEYSPACE: a lower-case CQL identifier/, /PERSISTENCE_HTTP_PORT: Invalid input/],
  },
});
