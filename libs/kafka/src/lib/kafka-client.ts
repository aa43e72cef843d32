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

/** Where a client's kafkajs log lines go; without one, warnings and errors go to stderr as JSON lines. */
export type KafkaLog = (level: 'error' | 'warn' | 'info', message: string, extra: object) => void;

/** How long a client waits and how often it tries again. */
export interface KafkaClientBounds {
  /** How long opening a TCP connection to one broker may take. */
  connectionTimeoutMs: number;
  /** How long SASL authentication on a new connection may take. */
  authenticationTimeoutMs: number;
  /** How long one request may wait for the broker's answer. */
  requestTimeoutMs: number;
  /** Retries of a failed operation; a failed connection to the seed broker is retried on the next broker. */
  retries: number;
  initialRetryTimeMs: number;
}

/** What the services' clients wait and retry: long enough to ride out a broker restart. */
export const SERVICE_CLIENT_BOUNDS: KafkaClientBounds = {
  connectionTimeoutMs: 3000,
  authenticationTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  retries: 8,
  initialRetryTimeMs: 300,
};

/** The settings and log each client made by `createKafka` was made with. */
const origins = new WeakMap<object, KafkaOrigin>();

/** What a client made by `createKafka` was made with. */
export interface KafkaOrigin {
  settings: KafkaSettings;
  log?: KafkaLog;
  bounds: KafkaClientBounds;
}

/**
 * The settings (brokers, client id, principal), log and bounds a client was made with by `createKafka`, so
 * that a client with other bounds, or of another library, can be made for the same cluster and principal;
 * undefined for any other client.
 */
export function kafkaOrigin(kafka: object): KafkaOrigin | undefined {
  return origins.get(kafka);
}

/** A kafkajs client whose log lines go to the given logger instead of the console. */
export function createKafka(
  s: KafkaSettings,
  log?: KafkaLog,
  bounds: Partial<KafkaClientBounds> = {},
): Kafka {
  const b = { ...SERVICE_CLIENT_BOUNDS, ...bounds };
  const kafka = new Kafka({
    clientId: s.clientId,
    brokers: s.brokers,
    sasl: saslOptions(s.credentials),
    connectionTimeout: b.connectionTimeoutMs,
    authenticationTimeout: b.authenticationTimeoutMs,
    requestTimeout: b.requestTimeoutMs,
    retry: { initialRetryTime: b.initialRetryTimeMs, retries: b.retries },
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
  origins.set(kafka, { settings: s, log, bounds: b });
  return kafka;
}
