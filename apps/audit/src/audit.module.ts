import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import {
  AuditEventsRepository,
  AuditQueriesUseCase,
  ForgetSettledBatches,
  LateDaysUseCase,
  ListBatchesUseCase,
  RecordEventsUseCase,
  SettledUseCase,
  createAuditDataSource,
} from '@sparkflow/audit-store';
import { TOPICS } from '@sparkflow/contracts';
import { ConsumerHealth, EventProducer, groupBehindAt } from '@sparkflow/kafka';
import {
  API_KEYS,
  ApiKeyGuard,
  KAFKA,
  READINESS_CHECKS,
  kafkaReady,
  SERVICE_CONTROLLERS,
  serviceImports,
  postgresSettings,
  serviceProviders,
} from '@sparkflow/service-kit';
import { AUDIT_CONFIG, type AuditConfig, validateAuditConfig } from './audit.config';
import { RecordEventsHandler } from './record-events.handler';
import { AuditQueryController } from './audit-query.controller';
import { AuditRetention } from './audit-retention';

export const DATA_SOURCE = Symbol('DATA_SOURCE');

@Module({
  imports: serviceImports(AUDIT_CONFIG, validateAuditConfig),
  controllers: [RecordEventsHandler, AuditQueryController, ...SERVICE_CONTROLLERS],
  providers: [
    ...serviceProviders({ config: AUDIT_CONFIG, clientId: 'audit', consumer: true }),
    { provide: API_KEYS, inject: [AUDIT_CONFIG], useFactory: (c: AuditConfig) => c.AUDIT_API_KEYS },
    ApiKeyGuard,
    {
      provide: DATA_SOURCE,
      inject: [AUDIT_CONFIG],
      useFactory: (c: AuditConfig) => createAuditDataSource(postgresSettings(c)).initialize(),
    },
    {
      provide: AuditEventsRepository,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new AuditEventsRepository(ds),
    },
    {
      provide: AuditQueriesUseCase,
      inject: [AuditEventsRepository],
      useFactory: (r: AuditEventsRepository) => new AuditQueriesUseCase(r),
    },
    {
      provide: ListBatchesUseCase,
      inject: [AuditEventsRepository],
      useFactory: (r: AuditEventsRepository) => new ListBatchesUseCase(r),
    },
    {
      provide: SettledUseCase,
      inject: [AuditEventsRepository, KAFKA, AUDIT_CONFIG],
      // The audit's own consumer group on users.raw: what it has not read, it cannot count as pending.
      useFactory: (r: AuditEventsRepository, k: Kafka, c: AuditConfig) =>
        new SettledUseCase(r, (beforeMs) => groupBehindAt(k, c.AUDIT_GROUP_ID, TOPICS.usersRaw, beforeMs)),
    },
    {
      provide: LateDaysUseCase,
      inject: [AuditEventsRepository, KAFKA, AUDIT_CONFIG],
      // The audit's own consumer group on both terminal topics: what it has not read, it cannot list.
      useFactory: (r: AuditEventsRepository, k: Kafka, c: AuditConfig) =>
        new LateDaysUseCase(r, async (beforeMs) => {
          const behind = await Promise.all(
            [TOPICS.usersPersisted, TOPICS.usersDlq].map((topic) =>
              groupBehindAt(k, c.AUDIT_GROUP_ID, topic, beforeMs),
            ),
          );
          return behind.reduce((a, b) => a + b, 0);
        }),
    },
    {
      provide: AuditRetention,
      inject: [AuditEventsRepository, AUDIT_CONFIG],
      useFactory: (r: AuditEventsRepository, c: AuditConfig) =>
        new AuditRetention(
          new ForgetSettledBatches(r),
          c.AUDIT_RETENTION_DAYS,
          c.AUDIT_RETENTION_EVERY_S * 1000,
        ),
    },
    {
      provide: RecordEventsUseCase,
      inject: [AuditEventsRepository],
      useFactory: (r: AuditEventsRepository) => new RecordEventsUseCase(r),
    },
    {
      provide: READINESS_CHECKS,
      inject: [DATA_SOURCE, KAFKA, ConsumerHealth],
      // kafkajs rides out a lost broker connection inside the consumer without telling it, so the consumer
      // check alone would say up through a broker outage: the Kafka round trip is checked on its own.
      useFactory: (ds: DataSource, k: Kafka, consumer: ConsumerHealth) => ({
        kafka: kafkaReady(k),
        postgres: () => ds.query('SELECT 1'),
        consumer: () => consumer.check(),
      }),
    },
  ],
})
export class AuditModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly producer: EventProducer,
    private readonly retention: AuditRetention,
  ) {}

  onApplicationBootstrap(): void {
    this.retention.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.retention.stop();
    await this.producer.disconnect();
    await this.ds.destroy();
  }
}
