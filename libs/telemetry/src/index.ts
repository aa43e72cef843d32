export * from './lib/telemetry.config';
export * from './lib/file-span-exporter';
export * from './lib/start-telemetry';
export * from './lib/messaging-spans';
export * from './lib/service-metrics';
export * from './lib/log-context';
export * from './lib/open-telemetry';
