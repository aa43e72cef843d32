export * from './lib/sparkflow-exception';
export * from './lib/error-tables';
