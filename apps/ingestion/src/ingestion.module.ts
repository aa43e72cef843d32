import { Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { TOPICS } from '@sparkflow/contracts';
import { EventProducer } from '@sparkflow/kafka';
import { deadLetteredAtIngestion } from '@sparkflow/telemetry';
import {
  BackfillsService,
  IngestUsersUseCase,
  PullUsersUseCase,
  PushUsersUseCase,
  SyntheticUsersUseCase,
} from '@sparkflow/ingestion-core';
import {
  API_KEYS,
  ApiKeyGuard,
  READINESS_CHECKS,
  KAFKA,
  kafkaReady,
  SERVICE_CONTROLLERS,
  ServiceHealthModule,
  serviceConfigModule,
  serviceProviders,
} from '@sparkflow/service-kit';
import { RandomUserClient, generateUsers } from '@sparkflow/sources';
import { RATE_LIMIT_PROVIDERS } from './rate-limit.guard';
import { INGESTION_CONFIG, type IngestionConfig, validateIngestionConfig } from './ingestion.config';
import { SourcesController } from './sources.controller';
import { UsersController } from './users.controller';

@Module({
  imports: [serviceConfigModule(INGESTION_CONFIG, validateIngestionConfig), ServiceHealthModule],
  controllers: [UsersController, SourcesController, ...SERVICE_CONTROLLERS],
  providers: [
    ...serviceProviders({
      config: INGESTION_CONFIG,
      clientId: 'ingestion',
      consumer: false,
      connectProducer: true,
    }),
    {
      provide: IngestUsersUseCase,
      inject: [EventProducer],
      useFactory: (p: EventProducer) => new IngestUsersUseCase(p),
    },
    {
      provide: BackfillsService,
      inject: [IngestUsersUseCase],
      useFactory: (i: IngestUsersUseCase) =>
        new BackfillsService(i, (seed, day, from, count) =>
          generateUsers({ seed: `${seed}-${day}`, from, count, day }),
        ),
    },
    {
      provide: PushUsersUseCase,
      inject: [IngestUsersUseCase, EventProducer, INGESTION_CONFIG],
      useFactory: (i: IngestUsersUseCase, p: EventProducer, c: IngestionConfig) =>
        new PushUsersUseCase(
          i,
          p,
          { maxUsers: c.INGESTION_MAX_USERS_PER_REQUEST, maxPersonBytes: c.INGESTION_MAX_PERSON_BYTES },
          deadLetteredAtIngestion(TOPICS.usersRaw),
        ),
    },
    {
      provide: SyntheticUsersUseCase,
      inject: [IngestUsersUseCase, INGESTION_CONFIG],
      useFactory: (i: IngestUsersUseCase, c: IngestionConfig) =>
        new SyntheticUsersUseCase(i, c.INGESTION_MAX_GENERATED_USERS),
    },
    {
      provide: PullUsersUseCase,
      inject: [IngestUsersUseCase, RandomUserClient, INGESTION_CONFIG],
      useFactory: (i: IngestUsersUseCase, r: RandomUserClient, c: IngestionConfig) =>
        new PullUsersUseCase(i, r, c.INGESTION_MAX_GENERATED_USERS),
    },
    {
      provide: RandomUserClient,
      inject: [INGESTION_CONFIG],
      useFactory: (c: IngestionConfig) =>
        new RandomUserClient({
          baseUrl: c.RANDOMUSER_URL,
          timeoutMs: c.RANDOMUSER_TIMEOUT_MS,
          minIntervalMs: c.RANDOMUSER_MIN_INTERVAL_MS,
        }),
    },
    {
      provide: API_KEYS,
      inject: [INGESTION_CONFIG],
      useFactory: (c: IngestionConfig) => c.INGESTION_API_KEYS,
    },
    ApiKeyGuard,
    ...RATE_LIMIT_PROVIDERS,
    {
      provide: READINESS_CHECKS,
      inject: [KAFKA],
      useFactory: (k: Kafka) => ({
        kafka: kafkaReady(k),
      }),
    },
  ],
})
export class IngestionModule implements OnApplicationShutdown {
  constructor(private readonly producer: EventProducer) {}

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}
