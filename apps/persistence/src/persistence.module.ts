import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from 'cassandra-driver';
import type { Kafka } from 'kafkajs';
import { cassandraReady, createCassandraClient } from '@sparkflow/cassandra';
import { ConsumerHealth, EventProducer } from '@sparkflow/kafka';
import { PersistUsersUseCase, UsersRepository, WRITE_CHUNK_LIMITS } from '@sparkflow/persistence-core';
import {
  READINESS_CHECKS,
  KAFKA,
  kafkaReady,
  splitList,
  SERVICE_CONTROLLERS,
  serviceImports,
  serviceProviders,
} from '@sparkflow/service-kit';
import { ingestToPersistedRecorder } from '@sparkflow/telemetry';
import { PERSISTENCE_CONFIG, type PersistenceConfig, validatePersistenceConfig } from './persistence.config';
import { PersistUsersHandler } from './persist-users.handler';

export const CASSANDRA = Symbol('CASSANDRA');

@Module({
  imports: serviceImports(PERSISTENCE_CONFIG, validatePersistenceConfig),
  controllers: [PersistUsersHandler, ...SERVICE_CONTROLLERS],
  providers: [
    ...serviceProviders({
      config: PERSISTENCE_CONFIG,
      clientId: 'persistence',
      consumer: true,
    }),
    {
      provide: CASSANDRA,
      inject: [PERSISTENCE_CONFIG],
      useFactory: async (c: PersistenceConfig) => {
        const client = createCassandraClient({
          contactPoints: splitList(c.CASSANDRA_CONTACT_POINTS),
          localDataCenter: c.CASSANDRA_LOCAL_DC,
          username: c.CASSANDRA_USERNAME,
          password: c.CASSANDRA_PASSWORD,
          keyspace: c.CASSANDRA_KEYSPACE,
        });
        await client.connect();
        return client;
      },
    },
    { provide: UsersRepository, inject: [CASSANDRA], useFactory: (c: Client) => new UsersRepository(c) },
    {
      provide: PersistUsersUseCase,
      inject: [UsersRepository, EventProducer, PERSISTENCE_CONFIG],
      useFactory: (r: UsersRepository, p: EventProducer, c: PersistenceConfig) =>
        new PersistUsersUseCase(
          r,
          p,
          c.PERSISTENCE_WRITE_CONCURRENCY,
          ingestToPersistedRecorder(),
          WRITE_CHUNK_LIMITS,
          {
            maxSkewMs: c.PERSISTENCE_EVENT_TIME_MAX_SKEW_MS,
            nowMicros: () => BigInt(Date.now()) * 1000n,
          },
        ),
    },
    {
      provide: READINESS_CHECKS,
      inject: [CASSANDRA, KAFKA, ConsumerHealth],
      useFactory: (c: Client, k: Kafka, consumer: ConsumerHealth) => ({
        cassandra: cassandraReady(c),
        kafka: kafkaReady(k),
        consumer: () => consumer.check(),
      }),
    },
  ],
})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(
    @Inject(CASSANDRA) private readonly cassandra: Client,
    private readonly producer: EventProducer,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
    await this.cassandra.shutdown();
  }
}
