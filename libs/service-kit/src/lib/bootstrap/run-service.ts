import type { Kafka } from 'kafkajs';
import {
  ConsumerHealth,
  EventProducer,
  KafkaBatchServer,
  type KafkaBatchServerOptions,
} from '@sparkflow/kafka';
import { EXIT_INVALID_CONFIGURATION } from '@sparkflow/contracts';
import { InvalidConfigurationError } from '../config/service-env';
import { bootstrapService, type ServiceBootstrap } from './bootstrap';
import { KAFKA } from './service-providers';

/**
 * A service's `main.ts`: starts it, or says why it could not on stderr and exits for its supervisor:
 * `EXIT_INVALID_CONFIGURATION` (78) for settings it refuses, which a restart would not change; 1 otherwise.
 */
export function runService<C>(b: ServiceBootstrap<C>): void {
  bootstrapService(b).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(exitCodeOf(err));
  });
}

/** The exit code of a start that failed with `err`. */
export const exitCodeOf = (err: unknown): number =>
  err instanceof InvalidConfigurationError ? EXIT_INVALID_CONFIGURATION : 1;

export interface ConsumerServiceBootstrap<C extends { KAFKA_STALL_AFTER_S: number }> extends Omit<
  ServiceBootstrap<C>,
  'transport'
> {
  /** The provider token under which the service's module holds its Kafka client; `serviceProviders`' KAFKA by default. */
  kafka?: symbol;
  /** The consumer's own settings; the producer, consumer health and watchdog come from the module and KafkaEnv. */
  consumer: (config: C) => Omit<KafkaBatchServerOptions, 'kafka' | 'producer' | 'health' | 'watchdog'>;
}

/** A consuming service's `main.ts`: HTTP plus the Kafka batch transport, wired the same way in every service. */
export function runConsumerService<C extends { KAFKA_STALL_AFTER_S: number }>({
  kafka = KAFKA,
  consumer,
  ...service
}: ConsumerServiceBootstrap<C>): void {
  runService<C>({
    ...service,
    transport: (app, config) =>
      new KafkaBatchServer({
        kafka: app.get<Kafka>(kafka),
        producer: app.get(EventProducer),
        health: app.get(ConsumerHealth),
        // KAFKA_STALL_AFTER_S: a partition with records waiting this long counts as stalled.
        watchdog: { stallAfterMs: config.KAFKA_STALL_AFTER_S * 1000 },
        ...consumer(config),
      }),
  });
}
