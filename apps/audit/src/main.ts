import './telemetry';
import 'reflect-metadata';
import { runConsumerService } from '@sparkflow/service-kit';
import { AuditModule } from './audit.module';
import { AUDIT_CONFIG, type AuditConfig } from './audit.config';

runConsumerService<AuditConfig>({
  name: 'audit',
  module: AuditModule,
  config: AUDIT_CONFIG,
  settings: (c) => ({ port: c.AUDIT_HTTP_PORT, host: c.HTTP_HOST }),
  consumer: (c) => ({
    groupId: c.AUDIT_GROUP_ID,
    stage: 'audit',
    // The audit is the record of last resort: while PostgreSQL is down it waits (said at warn and in
    // readiness), holding its offsets until the rows are stored; a dead letter for an outage would only
    // come back to it. Rows PostgreSQL refuses are quarantined on users.dlq by the use case's outcome.
    retry: { outageBudgetMs: Number.POSITIVE_INFINITY, maxBackoffMs: 10_000 },
    partitionsConsumedConcurrently: 4,
  }),
});
