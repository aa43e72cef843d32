import { createKafka, kafkaErrorCode, SparkflowException, type KafkaClientBounds } from '@sparkflow/kafka';
import type { Admin, Kafka } from 'kafkajs';
import type { CliConfig } from '../cli.config';
import { CliError, ComponentDownError, rootReason } from '../errors';
import { CLI_GROUP_PREFIX, GroupJoinError } from './reader';

/** Short timeouts and few retries: a stopped broker is reported in seconds, not after the services' patience. */
export const CLI_KAFKA_BOUNDS: Partial<KafkaClientBounds> = {
  connectionTimeoutMs: 2000,
  requestTimeoutMs: 15000,
  retries: 2,
  initialRetryTimeMs: 200,
};

/**
 * A kafkajs client for a person waiting at a prompt, made by `createKafka` so that a producer may send
 * with either client (KAFKA_PRODUCER_CLIENT=platformatic reads the brokers and principal it records).
 * kafkajs's own log lines are dropped: a failure reaches the person as one explained message.
 */
export function cliKafka(cfg: CliConfig): Kafka {
  return createKafka(
    { clientId: 'sparkflow-cli', brokers: cfg.kafkaBrokers, credentials: { ...cfg.kafkaLogin } },
    () => undefined,
    CLI_KAFKA_BOUNDS,
  );
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

function causes(err: unknown): Error[] {
  const out: Error[] = [];
  for (
    let e: unknown = err, i = 0;
    e instanceof Error && i < 5;
    e = e.cause ?? (e as { originalError?: unknown }).originalError, i++
  )
    out.push(e);
  return out;
}

const isAuthenticationError = (err: unknown) =>
  causes(err).some((e) => e.name === 'KafkaJSSASLAuthenticationError');

const isAuthorizationError = (err: unknown) =>
  causes(err).some((e) => /_AUTHORIZATION_FAILED$/.test((e as { type?: string }).type ?? ''));

/**
 * Rethrows a broker that cannot be reached as the error that says how to start it, a refused login
 * or a refused operation as one that names the settings to check, and any other failure of a Kafka client
 * as one line; an error the CLI already explained passes through unchanged.
 */
export function explainKafkaError(cfg: CliConfig, err: unknown): never {
  // Already explained (by `withAdmin` under a read, say): explaining it again would nest the message.
  if (err instanceof CliError) throw err;
  if (isAuthenticationError(err))
    throw new CliError(
      `Kafka at ${cfg.kafkaBrokers.join(',')} refused the login of ${cfg.kafkaLogin.username} ` +
        `(${cfg.kafkaLogin.mechanism.toUpperCase()}: ${rootReason(err)}).\n` +
        '  Check KAFKA_USERNAME and KAFKA_PASSWORD (and KAFKA_SASL_MECHANISM); on the native stack the CLI ' +
        "signs in as sparkflow-cli with the stack's KAFKA_CLI_PASSWORD.",
    );
  if (isAuthorizationError(err))
    throw new CliError(
      `Kafka refused ${cfg.kafkaLogin.username} this operation (${rootReason(err)}): its ACLs do not allow it. ` +
        'Check KAFKA_USERNAME; the principals and their ACLs are declared in libs/contracts (kafka-access.ts).',
    );
  if (isConnectionError(err))
    throw new ComponentDownError('Kafka', cfg.kafkaBrokers.join(','), rootReason(err));
  // kafkajs drops the broker's answer when it looks for a group's coordinator, so its GROUP_AUTHORIZATION_FAILED
  // comes out as "Failed to find group coordinator", from a broker that has just answered the CLI.
  if (err instanceof GroupJoinError && causes(err).some((e) => e.name === 'KafkaJSGroupCoordinatorNotFound'))
    throw new CliError(
      `Kafka refused ${cfg.kafkaLogin.username} the consumer group the CLI reads with (${err.groupId}: no ` +
        `coordinator was given, as when its ACLs do not allow the group). The CLI reads with groups named ` +
        `${CLI_GROUP_PREFIX}…, which the sparkflow-cli principal is granted: check KAFKA_USERNAME; the ` +
        'principals and their ACLs are declared in libs/contracts (kafka-access.ts).',
    );
  // Any other failure of a Kafka client (a record refused, a broker's protocol error): what it said, in a line.
  if (err instanceof SparkflowException || kafkaErrorCode(err) !== null)
    throw new CliError(
      `Kafka at ${cfg.kafkaBrokers.join(',')} failed: ${(err as Error).message.split('\n')[0]}`,
    );
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
