import './telemetry';
import 'reflect-metadata';
import type { Kafka } from 'kafkajs';
import { ConsumerHealth, EventProducer, KafkaBatchServer } from '@sparkflow/kafka';
import { bootstrapService } from '@sparkflow/service-kit';
import { EnrichmentModule, KAFKA } from './enrichment.module';
import { loadEnrichmentConfig } from './enrichment.config';

const config = loadEnrichmentConfig();

void bootstrapService({
  name: 'enrichment',
  module: EnrichmentModule,
  port: config.ENRICHMENT_HTTP_PORT,
  host: config.HTTP_HOST,
  transport: (app) =>
    new KafkaBatchServer({
      kafka: app.get<Kafka>(KAFKA),
      producer: app.get(EventProducer),
      health: app.get(ConsumerHealth),
      watchdog: { stallAfterMs: config.KAFKA_STALL_AFTER_S * 1000 },
      groupId: config.ENRICHMENT_GROUP_ID,
      stage: 'enrichment',
    }),
}).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
