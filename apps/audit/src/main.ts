import './telemetry';
import 'reflect-metadata';
import type { Kafka } from 'kafkajs';
import { ConsumerHealth, EventProducer, KafkaBatchServer } from '@sparkflow/kafka';
import { bootstrapService } from '@sparkflow/service-kit';
import { AuditModule, KAFKA } from './audit.module';
import { loadAuditConfig } from './audit.config';

const config = loadAuditConfig();

void bootstrapService({
  name: 'audit',
  module: AuditModule,
  port: config.AUDIT_HTTP_PORT,
  host: config.HTTP_HOST,
  transport: (app) =>
    new KafkaBatchServer({
      kafka: app.get<Kafka>(KAFKA),
      producer: app.get(EventProducer),
      health: app.get(ConsumerHealth),
      watchdog: { stallAfterMs: config.KAFKA_STALL_AFTER_S * 1000 },
      groupId: config.AUDIT_GROUP_ID,
      stage: 'audit',
      // The audit is the record of last resort: while PostgreSQL is down it waits (said at warn and in
      // readiness), holding its offsets until the rows are stored; a dead letter for an outage would only
      // come back to it. Rows PostgreSQL refuses are quarantined on users.dlq by the use case's outcome.
      retry: { outageBudgetMs: Number.POSITIVE_INFINITY, maxBackoffMs: 10_000 },
      partitionsConsumedConcurrently: 4,
    }),
}).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
