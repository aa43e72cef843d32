export * from './lib/cql-migrations';
export * from './lib/cassandra-client';
