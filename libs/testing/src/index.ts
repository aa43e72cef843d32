export * from './lib/integration.config';
export * from './lib/unique';
export * from './lib/cassandra-rows';
export * from './lib/hostile';
export * from './lib/builders/enriched-user.builder';
export * from './lib/builders/dead-letter.builder';
export * from './lib/service-config';
export * from './lib/test-topics';
