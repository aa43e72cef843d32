// Connections to PostgreSQL for the services' own small stores, without an ORM: lent safely, and bounded.
export * from './lib/bounded-pool';
export * from './lib/lent-connection';
export * from './lib/pool-budget';
