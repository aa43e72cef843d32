import { Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { EnrichBatchUseCase } from '@sparkflow/enrichment-core';
import { ConsumerHealth, EventProducer, createKafka, kafkaCredentials } from '@sparkflow/kafka';
import {
  HealthController,
  MetricsController,
  READINESS_CHECKS,
  TelemetryLifecycle,
  kafkaReady,
  splitList,
} from '@sparkflow/service-kit';
import { ENRICHMENT_CONFIG, type EnrichmentConfig, loadEnrichmentConfig } from './enrichment.config';
import { EnrichUsersHandler } from './enrich-users.handler';

export const KAFKA = Symbol('KAFKA');

@Module({
  controllers: [EnrichUsersHandler, HealthController, MetricsController],
  providers: [
    TelemetryLifecycle,
    { provide: ConsumerHealth, useValue: new ConsumerHealth() },
    { provide: ENRICHMENT_CONFIG, useFactory: loadEnrichmentConfig },
    {
      provide: KAFKA,
      inject: [ENRICHMENT_CONFIG],
      useFactory: (c: EnrichmentConfig) =>
        createKafka({
          brokers: splitList(c.KAFKA_BROKERS),
          clientId: 'enrichment',
          credentials: kafkaCredentials(c),
        }),
    },
    {
      provide: EventProducer,
      inject: [KAFKA, ENRICHMENT_CONFIG],
      useFactory: (k: Kafka, c: EnrichmentConfig) =>
        new EventProducer(k, { compression: c.KAFKA_COMPRESSION }),
    },
    {
      provide: EnrichBatchUseCase,
      inject: [EventProducer],
      useFactory: (p: EventProducer) => new EnrichBatchUseCase(p),
    },
    {
      provide: READINESS_CHECKS,
      inject: [KAFKA, ConsumerHealth],
      useFactory: (k: Kafka, consumer: ConsumerHealth) => ({
        kafka: kafkaReady(k),
        consumer: () => consumer.check(),
      }),
    },
  ],
})
export class EnrichmentModule implements OnApplicationShutdown {
  constructor(private readonly producer: EventProducer) {}

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}
