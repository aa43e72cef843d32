export * from './lib/ingest-users/ingest-users.use-case';
export * from './lib/push/parse-push-body';
export * from './lib/backfills/backfills.service';
