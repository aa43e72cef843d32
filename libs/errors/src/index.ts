export * from './lib/sparkflow-exception';
export * from './lib/error-tables';
export * from './lib/refusal-body';
