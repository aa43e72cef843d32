export * from './lib/topics/ensure-topics';
