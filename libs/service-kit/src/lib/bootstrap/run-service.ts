import type { Kafka } from 'kafkajs';
import {
  ConsumerHealth,
  EventProducer,
  KafkaBatchServer,
  type KafkaBatchServerOptions,
} from '@sparkflow/kafka';
import { bootstrapService, type ServiceBootstrap } from './bootstrap';

/** A service's `main.ts`: starts it, or says why it could not on stderr and exits 1 for its supervisor. */
export function runService(b: ServiceBootstrap): void {
  bootstrapService(b).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

export interface ConsumerServiceBootstrap extends Omit<ServiceBootstrap, 'transport'> {
  /** The provider token under which the service's module holds its Kafka client. */
  kafka: symbol;
  /** KAFKA_STALL_AFTER_S: a partition with records waiting this long counts as stalled. */
  stallAfterS: number;
  /** The consumer's own settings; the producer and consumer health come from the module. */
  consumer: Omit<KafkaBatchServerOptions, 'kafka' | 'producer' | 'health' | 'watchdog'>;
}

/** A consuming service's `main.ts`: HTTP plus the Kafka batch transport, wired the same way in every service. */
export function runConsumerService({
  kafka,
  stallAfterS,
  consumer,
  ...service
}: ConsumerServiceBootstrap): void {
  runService({
    ...service,
    transport: (app) =>
      new KafkaBatchServer({
        kafka: app.get<Kafka>(kafka),
        producer: app.get(EventProducer),
        health: app.get(ConsumerHealth),
        watchdog: { stallAfterMs: stallAfterS * 1000 },
        ...consumer,
      }),
  });
}
