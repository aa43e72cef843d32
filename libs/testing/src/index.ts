export * from './lib/integration.config';
export * from './lib/unique';
export * from './lib/hostile';
