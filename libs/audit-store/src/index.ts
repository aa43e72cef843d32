export * from './lib/entities/audit-event.entity';
export * from './lib/entities/batch.entity';
export * from './lib/audit-data-source';
export * from './lib/record-events/audit-events.repository';
export * from './lib/record-events/record-events.use-case';
export * from './lib/provisioning/provision-audit-store';
export * from './lib/record-events/postgres-errors';
