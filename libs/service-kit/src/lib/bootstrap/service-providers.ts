import { type DynamicModule, Logger, type Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import {
  ConsumerHealth,
  EventProducer,
  createKafka,
  kafkaCredentials,
  type KafkaProducerClient,
  type KafkaSaslMechanism,
} from '@sparkflow/kafka';
import { HealthController, ServiceHealthModule } from '../health/health.controller';
import { serviceConfigModule } from '../config/service-config.module';
import { MetricsController } from '../observability/metrics.controller';
import { splitList } from '../config/service-env';
import { TelemetryLifecycle } from '../observability/telemetry-lifecycle';

/** The Nest token of a service's kafkajs client: its transport, producer and readiness check share it. */
export const KAFKA = Symbol('KAFKA');

/** kafkajs's own warnings and errors, as the service's log lines (its `service`, and ids of the record in hand). */
const kafkajsLogger = new Logger('kafkajs');
const kafkajsLog = (level: 'error' | 'warn' | 'info', message: string, extra: object): void =>
  kafkajsLogger[level === 'info' ? 'log' : level]({ msg: message, ...extra });

/** The settings of `KafkaEnv` and `kafkaAuthEnv` a service's parsed configuration carries. */
interface KafkaServiceConfig {
  KAFKA_BROKERS: string;
  KAFKA_COMPRESSION: 'none' | 'gzip';
  KAFKA_PRODUCER_CLIENT: KafkaProducerClient;
  KAFKA_SASL_MECHANISM: KafkaSaslMechanism;
  KAFKA_USERNAME: string;
  KAFKA_PASSWORD: string;
}

/**
 * A service's kafkajs client (under `KAFKA`), signed in as the service's own principal, and the
 * `EventProducer` over it. `connectProducer`: connect at start-up (a service that only produces);
 * a consumer service's transport connects it when it starts consuming.
 */
export function kafkaProviders(
  config: symbol,
  clientId: string,
  opts: { connectProducer?: boolean } = {},
): Provider[] {
  return [
    {
      provide: KAFKA,
      inject: [config],
      useFactory: (c: KafkaServiceConfig) =>
        createKafka(
          { brokers: splitList(c.KAFKA_BROKERS), clientId, credentials: kafkaCredentials(c) },
          kafkajsLog,
        ),
    },
    {
      provide: EventProducer,
      inject: [KAFKA, config],
      useFactory: async (k: Kafka, c: KafkaServiceConfig) => {
        const producer = new EventProducer(k, {
          compression: c.KAFKA_COMPRESSION,
          client: c.KAFKA_PRODUCER_CLIENT,
          warn: (message, extra) => kafkajsLogger.warn({ msg: message, ...extra }),
        });
        if (opts.connectProducer) await producer.connect();
        return producer;
      },
    },
  ];
}

/**
 * The modules every service's module imports: its configuration, parsed once by `validate` and provided
 * under `config` (`serviceConfigModule`), and Terminus for its health controller (`ServiceHealthModule`).
 */
export const serviceImports = <C extends object>(
  config: symbol,
  validate: (raw: Record<string, unknown>) => C,
): [DynamicModule, typeof ServiceHealthModule] => [
  serviceConfigModule(config, validate),
  ServiceHealthModule,
];

/** The controllers every service serves beside its own: `/health/live`, `/health/ready` and `/metrics`. */
export const SERVICE_CONTROLLERS = [HealthController, MetricsController];

/**
 * The providers every service's module starts from: telemetry, its Kafka client and producer (from the
 * configuration under `config`, see `serviceConfigModule`), and for a service that consumes, its consumer's health.
 */
export function serviceProviders(s: {
  config: symbol;
  clientId: string;
  consumer: boolean;
  connectProducer?: boolean;
}): Provider[] {
  return [
    TelemetryLifecycle,
    ...(s.consumer ? [{ provide: ConsumerHealth, useValue: new ConsumerHealth() }] : []),
    ...kafkaProviders(s.config, s.clientId, { connectProducer: s.connectProducer }),
  ];
}
