export * from './lib/service-env';
export * from './lib/health.controller';
export * from './lib/bootstrap';
export * from './lib/json-logger';
export * from './lib/metrics.controller';
export * from './lib/telemetry-lifecycle';
export * from './lib/api-key.guard';
export * from './lib/body-budget';
