import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';

export type KafkaSaslMechanism = 'scram-sha-512' | 'scram-sha-256' | 'plain';

/** How a client proves who it is: SASL over the broker's SASL_PLAINTEXT listener. */
export interface KafkaCredentials {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: string;
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  credentials: KafkaCredentials;
}

/** The kafkajs `sasl` option for a principal's credentials. */
export const saslOptions = (c: KafkaCredentials): SASLOptions =>
  ({ mechanism: c.mechanism, username: c.username, password: c.password }) as SASLOptions;

/** Credentials from the variables every client reads (KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD). */
export const kafkaCredentials = (e: {
  KAFKA_SASL_MECHANISM: KafkaSaslMechanism;
  KAFKA_USERNAME: string;
  KAFKA_PASSWORD: string;
}): KafkaCredentials => ({
  mechanism: e.KAFKA_SASL_MECHANISM,
  username: e.KAFKA_USERNAME,
  password: e.KAFKA_PASSWORD,
});

/** A kafkajs client whose log lines go to the given logger instead of the console. */
export function createKafka(
  s: KafkaSettings,
  log?: (level: 'error' | 'warn' | 'info', message: string, extra: object) => void,
): Kafka {
  return new Kafka({
    clientId: s.clientId,
    brokers: s.brokers,
    sasl: saslOptions(s.credentials),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        const name = level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'info';
        if (log) log(name, `kafkajs: ${message}`, extra);
        // Without a logger, warnings and errors still reach the service's log as JSON lines.
        else
          process.stderr.write(
            `${JSON.stringify({ level: name, time: new Date().toISOString(), msg: `kafkajs: ${message}`, ...extra })}\n`,
          );
      },
  });
}
