import type { Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { EventProducer, createKafka, kafkaCredentials, type KafkaSaslMechanism } from '@sparkflow/kafka';
import { splitList } from './service-env';

/** The Nest token of a service's kafkajs client: its transport, producer and readiness check share it. */
export const KAFKA = Symbol('KAFKA');

/** The settings of `KafkaEnv` and `kafkaAuthEnv` a service's parsed configuration carries. */
interface KafkaServiceConfig {
  KAFKA_BROKERS: string;
  KAFKA_COMPRESSION: 'none' | 'gzip';
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
        createKafka({ brokers: splitList(c.KAFKA_BROKERS), clientId, credentials: kafkaCredentials(c) }),
    },
    {
      provide: EventProducer,
      inject: [KAFKA, config],
      useFactory: async (k: Kafka, c: KafkaServiceConfig) => {
        const producer = new EventProducer(k, { compression: c.KAFKA_COMPRESSION });
        if (opts.connectProducer) await producer.connect();
        return producer;
      },
    },
  ];
}
