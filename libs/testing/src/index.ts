export * from './lib/integration.config';
export * from './lib/unique';
