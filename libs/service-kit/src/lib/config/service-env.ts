import { isIP } from 'node:net';
import { z } from 'zod';
import { devKafkaPassword, kafkaPrincipal, type KafkaRole } from '@sparkflow/contracts';
import { type PoolSizes, splitPoolBudget } from '@sparkflow/postgres-pool';

const HOST = /^[A-Za-z0-9._-]+$/;
const validPort = (p: string | undefined) => p !== undefined && /^\d+$/.test(p) && +p >= 1 && +p <= 65535;

/**
 * What each client takes: kafkajs splits a broker at its first `:`, so a broker is a name or an IPv4
 * address and a port; cassandra-driver also takes an IPv6 address, bare or as `[address]:port`.
 */
const ADDRESSES = {
  kafka: {
    shape: 'host:port (a name or an IPv4 address, and a port from 1 to 65535)',
    ok: (entry: string) => {
      const [host, p, ...rest] = entry.split(':');
      return HOST.test(host) && validPort(p) && !rest.length;
    },
  },
  cassandra: {
    shape: 'host, host:port or [IPv6]:port, with a port from 1 to 65535',
    ok: (entry: string) => {
      if (isIP(entry) === 6) return true;
      const v6 = /^\[([^\]]+)\]:(.*)$/.exec(entry);
      if (v6) return isIP(v6[1]) === 6 && validPort(v6[2]);
      const [host, p, ...rest] = entry.split(':');
      return HOST.test(host) && (p === undefined || validPort(p)) && !rest.length;
    },
  },
};

/**
 * A comma-separated list of addresses one client takes (`ADDRESSES`); a bad entry is named, instead of
 * surfacing later as "not reachable" from the client.
 */
export const addressList = (defaultValue: string, client: keyof typeof ADDRESSES) =>
  z
    .string()
    .min(1)
    .default(defaultValue)
    .superRefine((value, ctx) => {
      const entries = splitList(value);
      if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'expected at least one address' });
      const { shape, ok } = ADDRESSES[client];
      for (const entry of entries)
        if (!ok(entry)) ctx.addIssue({ code: 'custom', message: `"${entry}" is not ${shape}` });
    });

/**
 * Environment fragments every service's `<app>.config.ts` composes into its schema; the environment is
 * parsed once, by `ConfigModule.forRoot({ validate })` (see `serviceConfigModule`).
 */
export const KafkaEnv = z.object({
  /** Kafka's bootstrap brokers, `host:port,…`. */
  KAFKA_BROKERS: addressList('127.0.0.1:9092', 'kafka'),
  /** Compression of the record batches the service produces (see EventProducer). */
  KAFKA_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
  /** The client the service's EventProducer writes with; consumers are kafkajs either way (see EventProducer). */
  KAFKA_PRODUCER_CLIENT: z.enum(['kafkajs', 'platformatic']).default('kafkajs'),
  /** A partition whose committed offset has not moved for this long while records wait is stalled (readiness 503, /metrics). */
  KAFKA_STALL_AFTER_S: z.coerce.number().int().min(5).default(60),
  /** The broker refuses anonymous clients: every client authenticates with SASL (SCRAM on the stack). */
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']).default('scram-sha-512'),
});

/**
 * A client's Kafka principal: by default its own user from `KAFKA_PRINCIPALS` with the native stack's
 * development password (`<user>-dev`); any shared environment sets KAFKA_USERNAME and KAFKA_PASSWORD.
 */
export const kafkaAuthEnv = (role: KafkaRole) => {
  const user = kafkaPrincipal(role).user;
  return z.object({
    KAFKA_USERNAME: z.string().min(1).default(user),
    KAFKA_PASSWORD: z.string().min(1).default(devKafkaPassword(user)),
  });
};

export const CassandraEnv = z.object({
  /** Cassandra's contact points, `host[:port],…` (the driver's port, 9042, when left out). */
  CASSANDRA_CONTACT_POINTS: addressList('127.0.0.1:9042', 'cassandra'),
  CASSANDRA_LOCAL_DC: z.string().min(1).default('datacenter1'),
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'a lower-case CQL identifier')
    .default('sparkflow'),
  CASSANDRA_USERNAME: z.string().min(1).default('sparkflow_app'),
  CASSANDRA_PASSWORD: z.string().min(1).default('sparkflow-app-dev'),
});

export const PostgresEnv = z.object({
  POSTGRES_HOST: z.string().min(1).default('127.0.0.1'),
  POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5432),
  POSTGRES_USER: z.string().min(1).default('sparkflow_app'),
  POSTGRES_PASSWORD: z.string().min(1).default('sparkflow-app-dev'),
  POSTGRES_DB: z.string().min(1).default('sparkflow'),
});

/**
 * `POSTGRES_POOL_MAX`: the most connections the process holds to PostgreSQL, all its pools together.
 * `pools` are the process's pools at their default sizes, by name: the budget is split among them in
 * these proportions (`splitPoolBudget`, each pool at least one connection), and its default, their sum,
 * gives each pool its default. A config extends its schema with it, then adds the split with
 * `postgresPoolSplit(pools)` (`.transform`), which `postgresSettings` hands to the stores.
 */
export const postgresPoolEnv = (pools: PoolSizes) => {
  const names = Object.keys(pools);
  const atLeast = `at least ${names.length}, one connection for each of the process's pools (${names.join(', ')})`;
  return z.object({
    POSTGRES_POOL_MAX: z.coerce
      .number({ error: `a whole number of connections, ${atLeast}` })
      .int(`a whole number of connections, ${atLeast}`)
      .min(names.length, atLeast)
      .max(10_000, 'at most 10,000 connections')
      .default(names.reduce((total, name) => total + pools[name], 0)),
  });
};

/** The parsed config with `postgresPools`: its `POSTGRES_POOL_MAX` split among `pools` (`postgresPoolEnv`). */
export const postgresPoolSplit =
  (pools: PoolSizes) =>
  <C extends { POSTGRES_POOL_MAX: number }>(c: C): C & { postgresPools: PoolSizes } => ({
    ...c,
    postgresPools: splitPoolBudget(c.POSTGRES_POOL_MAX, pools),
  });

/** Where a service's HTTP server binds: loopback natively; 0.0.0.0 in a container or pod. */
export const HttpEnv = z.object({
  HTTP_HOST: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]).default('127.0.0.1'),
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The service's log level. At `info` a record's work is logged only when it goes wrong (retries, dead
 * letters) or its trace is sampled; `debug` adds a line per record and per batch.
 */
export const LogEnv = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

/**
 * What every service's environment starts from: its Kafka connection signed in as its own principal,
 * where its HTTP server binds, and its log level. An app extends it with what it alone needs.
 */
export const serviceBaseEnv = (role: KafkaRole) =>
  KafkaEnv.extend(kafkaAuthEnv(role).shape).extend(HttpEnv.shape).extend(LogEnv.shape);

/**
 * A service's PostgreSQL connection settings, as the stores (`@sparkflow/audit-store`, `@sparkflow/backfill-store`,
 * …) take them, with each pool's share of `POSTGRES_POOL_MAX` when the config has one (`postgresPoolEnv`, `postgresPoolSplit`).
 */
export const postgresSettings = (
  c: z.infer<typeof PostgresEnv> & { POSTGRES_POOL_MAX?: number; postgresPools?: PoolSizes },
) => {
  if (c.POSTGRES_POOL_MAX !== undefined && c.postgresPools === undefined) {
    throw new Error(
      'POSTGRES_POOL_MAX is set but not split among the pools: add postgresPoolSplit to the config',
    );
  }
  return {
    host: c.POSTGRES_HOST,
    port: c.POSTGRES_PORT,
    username: c.POSTGRES_USER,
    password: c.POSTGRES_PASSWORD,
    database: c.POSTGRES_DB,
    pools: c.postgresPools,
  };
};

export const httpPort = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/**
 * A service's settings that it cannot run with. Its `main` exits with contracts' `EXIT_INVALID_CONFIGURATION`,
 * which the native stack's supervisor does not restart: the same settings would be refused again.
 */
export class InvalidConfigurationError extends Error {
  override readonly name = 'InvalidConfigurationError';
}

/**
 * Parses the environment once and freezes it. A bad or missing variable stops the process at boot
 * with every offending name and what it expects.
 */
export function parseEnv<S extends z.ZodType>(
  service: string,
  schema: S,
  raw: Record<string, unknown>,
): Readonly<z.infer<S>> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new InvalidConfigurationError(`${service}: invalid configuration\n${lines.join('\n')}`);
  }
  return Object.freeze(result.data);
}

export const splitList = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
