export * from './lib/service-env';
export * from './lib/health.controller';
export * from './lib/bootstrap';
export * from './lib/json-logger';
