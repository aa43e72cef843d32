import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { BackfillStore, createBackfillPool } from '@sparkflow/backfill-store';
import { IdempotencyKeysRepository } from '@sparkflow/idempotency-store';
import { TOPICS } from '@sparkflow/contracts';
import { EventProducer } from '@sparkflow/kafka';
import { deadLetteredAtIngestion } from '@sparkflow/telemetry';
import {
  BackfillsService,
  backfillPeople,
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
import { RandomUserClient } from '@sparkflow/sources';
import { RATE_LIMIT_PROVIDERS, RATE_LIMIT_STORE_PROVIDERS } from './rate-limit.guard';
import { INGESTION_CONFIG, type IngestionConfig, validateIngestionConfig } from './ingestion.config';
import { SourcesController } from './sources.controller';
import { UsersController } from './users.controller';

const backfillLog = new Logger('backfills');
const idempotencyLog = new Logger('idempotency-keys');

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
      provide: BackfillStore,
      inject: [INGESTION_CONFIG],
      useFactory: (c: IngestionConfig) =>
        new BackfillStore(
          // Connected on first use: ingestion starts, and takes pushes, while PostgreSQL is down.
          createBackfillPool(postgresSettings(c), (err) =>
            backfillLog.warn(`an idle PostgreSQL connection failed: ${err.message}`),
          ),
          // This process's name in leases: a restarted process is another holder.
          `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
          c.INGESTION_BACKFILL_LEASE_S,
        ),
    },
    {
      provide: BackfillsService,
      inject: [IngestUsersUseCase, BackfillStore, IdempotencyKeysRepository, INGESTION_CONFIG],
      useFactory: (
        i: IngestUsersUseCase,
        store: BackfillStore,
        keys: IdempotencyKeysRepository,
        c: IngestionConfig,
      ) =>
        new BackfillsService(i, backfillPeople, store, {
          pollMs: c.INGESTION_BACKFILL_POLL_MS,
          log: (m) => backfillLog.log(m),
          keys,
          warn: (m) => idempotencyLog.warn(m),
        }),
    },
    {
      provide: IdempotencyKeysRepository,
      inject: [INGESTION_CONFIG],
      useFactory: (c: IngestionConfig) => {
        // Connected on first use: synthetic requests and pushes and backfills with an Idempotency-Key need it.
        const keys = new IdempotencyKeysRepository(
          postgresSettings(c),
          c.INGESTION_IDEMPOTENCY_STORE_TIMEOUT_MS,
          (err) =>
            idempotencyLog.warn(`idempotency keys: an idle PostgreSQL connection failed: ${err.message}`),
        );
        keys.sweepEvery(60_000, (m) => idempotencyLog.warn(m));
        return keys;
      },
    },
    {
      provide: PushUsersUseCase,
      inject: [IngestUsersUseCase, EventProducer, IdempotencyKeysRepository, INGESTION_CONFIG],
      useFactory: (
        i: IngestUsersUseCase,
        p: EventProducer,
        keys: IdempotencyKeysRepository,
        c: IngestionConfig,
      ) =>
        new PushUsersUseCase(
          i,
          p,
          { maxUsers: c.INGESTION_MAX_USERS_PER_REQUEST, maxPersonBytes: c.INGESTION_MAX_PERSON_BYTES },
          {
            deadLettered: deadLetteredAtIngestion(TOPICS.usersRaw),
            keys,
            warn: (m) => idempotencyLog.warn(m),
          },
        ),
    },
    {
      provide: SyntheticUsersUseCase,
      inject: [IngestUsersUseCase, IdempotencyKeysRepository, INGESTION_CONFIG],
      useFactory: (i: IngestUsersUseCase, keys: IdempotencyKeysRepository, c: IngestionConfig) =>
        // The batch's event times are kept with the Idempotency-Keys: a retry makes the same events.
        new SyntheticUsersUseCase(i, c.INGESTION_MAX_GENERATED_USERS, keys),
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
    ...RATE_LIMIT_STORE_PROVIDERS,
    {
      provide: READINESS_CHECKS,
      inject: [KAFKA],
      // PostgreSQL holds backfills, the shared rate limit and Idempotency-Keys: while it is down the
      // backfill routes, synthetic requests and pushes with an Idempotency-Key answer 503, backfills wait and the limit is kept
      // per replica, but pushes without a key go on, so it does not make ingestion unready.
      useFactory: (k: Kafka) => ({
        kafka: kafkaReady(k),
      }),
    },
  ],
})
export class IngestionModule
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    private readonly producer: EventProducer,
    private readonly backfills: BackfillsService,
    private readonly store: BackfillStore,
    private readonly keys: IdempotencyKeysRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.backfills.startWorker();
  }

  /** Before anything shuts down (the producer, telemetry): finish each backfill's chunk and hand it over. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.backfills.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
    await this.store.close();
    await this.keys.close();
  }
}
