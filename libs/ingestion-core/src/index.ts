export * from './lib/ingest-users/ingest-users.use-case';
export * from './lib/push/parse-push-body';
export * from './lib/backfills/backfills.service';
export * from './lib/push/push-users.use-case';
export * from './lib/request/request-outcome';
export * from './lib/sources/ingest-in-chunks';
export * from './lib/sources/synthetic-users.use-case';
export * from './lib/sources/pull-users.use-case';
