import { Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { EnrichBatchUseCase } from '@sparkflow/enrichment-core';
import { ConsumerHealth, EventProducer } from '@sparkflow/kafka';
import {
  READINESS_CHECKS,
  KAFKA,
  kafkaReady,
  SERVICE_CONTROLLERS,
  serviceImports,
  serviceProviders,
} from '@sparkflow/service-kit';
import { ENRICHMENT_CONFIG, type EnrichmentConfig, validateEnrichmentConfig } from './enrichment.config';
import { EnrichUsersHandler } from './enrich-users.handler';

@Module({
  imports: serviceImports(ENRICHMENT_CONFIG, validateEnrichmentConfig),
  controllers: [EnrichUsersHandler, ...SERVICE_CONTROLLERS],
  providers: [
    ...serviceProviders({
      config: ENRICHMENT_CONFIG,
      clientId: 'enrichment',
      consumer: true,
    }),
    {
      provide: EnrichBatchUseCase,
      inject: [EventProducer, ENRICHMENT_CONFIG],
      useFactory: (p: EventProducer, c: EnrichmentConfig) =>
        new EnrichBatchUseCase(p, () => new Date(), c.ENRICHMENT_EVENT_TIME_MAX_SKEW_MS),
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
