export * from './lib/entities/audit-event.entity';
export * from './lib/entities/batch.entity';
export * from './lib/audit-data-source';
