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
      // The audit is the record of last resort: it never dead-letters (its own input includes the DLQ),
      // it waits for PostgreSQL instead, holding its offsets until the rows are stored.
      retry: { maxAttempts: Number.POSITIVE_INFINITY, maxBackoffMs: 10_000 },
      partitionsConsumedConcurrently: 4,
    }),
}).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
