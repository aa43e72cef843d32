import './telemetry';
import 'reflect-metadata';
import { ConsumerHealth, EventProducer, KafkaBatchServer } from '@sparkflow/kafka';
import { bootstrapService } from '@sparkflow/service-kit';
import type { Kafka } from 'kafkajs';
import { PersistenceModule, KAFKA } from './persistence.module';
import { loadPersistenceConfig } from './persistence.config';

const config = loadPersistenceConfig();

void bootstrapService({
  name: 'persistence',
  module: PersistenceModule,
  port: config.PERSISTENCE_HTTP_PORT,
  host: config.HTTP_HOST,
  transport: (app) =>
    new KafkaBatchServer({
      kafka: app.get<Kafka>(KAFKA),
      producer: app.get(EventProducer),
      health: app.get(ConsumerHealth),
      watchdog: { stallAfterMs: config.KAFKA_STALL_AFTER_S * 1000 },
      groupId: config.PERSISTENCE_GROUP_ID,
      stage: 'persistence',
    }),
}).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
