import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { CliConfig } from '../cli.config';
import { ComponentDownError, rootReason } from '../errors';

/**
 * A kafkajs client for a person waiting at a prompt: short timeouts and few retries, so a stopped broker
 * is reported in seconds, not after the services' patient retry budget.
 */
export function cliKafka(cfg: CliConfig): Kafka {
  return new Kafka({
    clientId: 'sparkflow-cli',
    brokers: cfg.kafkaBrokers,
    connectionTimeout: 2000,
    requestTimeout: 15000,
    retry: { initialRetryTime: 200, retries: 2 },
    logLevel: logLevel.NOTHING,
  });
}

const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
]);

function isConnectionError(err: unknown): boolean {
  for (
    let e: unknown = err, i = 0;
    e instanceof Error && i < 5;
    e = e.cause ?? (e as { originalError?: unknown }).originalError, i++
  ) {
    if (
      CONNECTION_ERRORS.has(e.name) ||
      /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection timeout/.test(e.message)
    )
      return true;
  }
  return false;
}

/** Rethrows a broker that cannot be reached as the error that says how to start it. */
export function explainKafkaError(cfg: CliConfig, err: unknown): never {
  if (isConnectionError(err))
    throw new ComponentDownError('Kafka', cfg.kafkaBrokers.join(','), rootReason(err));
  throw err;
}

export async function withAdmin<T>(
  cfg: CliConfig,
  kafka: Kafka,
  fn: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = kafka.admin({ retry: { retries: 2 } });
  try {
    await admin.connect();
    return await fn(admin);
  } catch (err) {
    return explainKafkaError(cfg, err);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
