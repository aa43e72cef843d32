export * from './lib/cql-migrations';
export * from './lib/cassandra-client';
export * from './lib/cassandra-errors';
export * from './lib/users-table';
