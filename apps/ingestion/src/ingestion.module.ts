import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { BackfillStore, createBackfillDataSource } from '@sparkflow/backfill-store';
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
  serviceImports,
  postgresSettings,
  serviceProviders,
} from '@sparkflow/service-kit';
import { RandomUserClient, generateUsers } from '@sparkflow/sources';
import { RATE_LIMIT_PROVIDERS } from './rate-limit.guard';
import { INGESTION_CONFIG, type IngestionConfig, validateIngestionConfig } from './ingestion.config';
import { SourcesController } from './sources.controller';
import { UsersController } from './users.controller';

export const BACKFILL_DATA_SOURCE = Symbol('BACKFILL_DATA_SOURCE');
const backfillLog = new Logger('backfills');

@Module({
  imports: serviceImports(INGESTION_CONFIG, validateIngestionConfig),
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
      provide: BACKFILL_DATA_SOURCE,
      inject: [INGESTION_CONFIG],
      useFactory: (c: IngestionConfig) => createBackfillDataSource(postgresSettings(c)).initialize(),
    },
    {
      provide: BackfillsService,
      inject: [IngestUsersUseCase, BACKFILL_DATA_SOURCE, INGESTION_CONFIG],
      useFactory: (i: IngestUsersUseCase, ds: DataSource, c: IngestionConfig) =>
        new BackfillsService(
          i,
          (seed, day, from, count) => generateUsers({ seed: `${seed}-${day}`, from, count, day }),
          // This process's name in leases: a restarted process is another holder.
          new BackfillStore(
            ds,
            `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
            c.INGESTION_BACKFILL_LEASE_S,
          ),
          { pollMs: c.INGESTION_BACKFILL_POLL_MS, log: (m) => backfillLog.log(m) },
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
      inject: [KAFKA, BACKFILL_DATA_SOURCE],
      useFactory: (k: Kafka, ds: DataSource) => ({
        kafka: kafkaReady(k),
        // Backfills are read and worked from PostgreSQL.
        postgres: () => ds.query('SELECT 1'),
      }),
    },
  ],
})
export class IngestionModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly producer: EventProducer,
    private readonly backfills: BackfillsService,
    @Inject(BACKFILL_DATA_SOURCE) private readonly ds: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    this.backfills.startWorker();
  }

  async onApplicationShutdown(): Promise<void> {
    // Hand the backfills in progress over before the producer they need goes away.
    await this.backfills.stop();
    await this.producer.disconnect();
    await this.ds.destroy();
  }
}
