import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  API_KEYS_RULE,
  apiKeysOf,
  followsApiKeysRule,
  KAFKA_ADMIN_USER,
  KAFKA_PRINCIPALS,
  TOPOLOGIES,
  devKafkaPassword,
  kafkaPasswordVariable,
  type KafkaRole,
} from '@sparkflow/contracts';
import { UsageError } from './errors';
import { nodeHost, ordinals } from './topology';

/**
 * Settings of the native stack, read once from the environment. Every port and credential has a
 * default for a developer machine and can be overridden; the services read the same variable names.
 */
const port = z.coerce.number().int().min(1).max(65535);
/**
 * A `<SERVICE>_API_KEYS` list under the services' rule (`followsApiKeysRule` of libs/contracts), checked here so that `stack up` refuses it with exit 2 instead of starting a
 * service that exits on it. It stays one string: the stack passes it to the services as it is.
 */
const apiKeys = (devDefault: string) =>
  z
    .string()
    .default(devDefault)
    .refine((value) => followsApiKeysRule(apiKeysOf(value)), API_KEYS_RULE);

const seconds = z.coerce.number().int().min(1);
/** kB in one of each unit PostgreSQL's size settings take. */
const KB_PER_UNIT: Record<string, number> = { kB: 1, MB: 1024, GB: 1024 ** 2, TB: 1024 ** 3 };
/**
 * A PostgreSQL memory or file size setting: a whole number and its unit, as postgresql.conf writes it, at
 * least PostgreSQL's own minimum for the setting (`least`, e.g. `32MB`), which it would otherwise refuse
 * only at start.
 */
const postgresSize = (least: string) =>
  z
    .string()
    .regex(/^[1-9]\d*(kB|MB|GB|TB)$/, 'a whole number and kB, MB, GB or TB, such as 1GB')
    // A malformed size is left to the message above; only a well-formed one is held to the minimum.
    .refine((v) => !(kilobytes(v) < kilobytes(least)), `at least ${least}, PostgreSQL's minimum`);
const kilobytes = (size: string) => {
  const [, n, unit] = /^(\d+)(kB|MB|GB|TB)$/.exec(size) ?? [];
  return Number(n) * (KB_PER_UNIT[unit] ?? Number.NaN);
};

/**
 * A password that goes into the broker's JAAS line and the SCRAM tools' `[name=…,password=…]` lists
 * unquoted, so it excludes the characters those syntaxes use.
 */
const kafkaPassword = (user: string) =>
  z
    .string()
    .regex(/^[^\s"'\\,=[\];]{8,}$/, 'at least 8 characters, none of: space " \' \\ , = [ ] ;')
    .default(devKafkaPassword(user));

/** KAFKA_ADMIN_PASSWORD and one KAFKA_<ROLE>_PASSWORD per principal of libs/contracts' KAFKA_PRINCIPALS. */
const KafkaPasswords = z.object(
  Object.fromEntries([
    [kafkaPasswordVariable('admin'), kafkaPassword(KAFKA_ADMIN_USER)],
    ...KAFKA_PRINCIPALS.map((p) => [kafkaPasswordVariable(p.role), kafkaPassword(p.user)]),
  ]),
);

const Env = z.object({
  SPARKFLOW_HOME: z.string().optional(),
  SPARKFLOW_CACHE: z.string().optional(),
  JAVA_HOME: z.string().optional(),
  /** `single` (one of everything) or `cluster` (libs/contracts TOPOLOGIES); `up --topology` sets it too. */
  SPARKFLOW_TOPOLOGY: z.enum(['single', 'cluster']).default('single'),

  KAFKA_PORT: port.default(9092),
  KAFKA_CONTROLLER_PORT: port.default(9093),
  KAFKA_HEAP: z.string().default('-Xms256m -Xmx1g'),
  KAFKA_START_TIMEOUT_S: seconds.default(60),

  CASSANDRA_PORT: port.default(9042),
  CASSANDRA_STORAGE_PORT: port.default(7000),
  CASSANDRA_JMX_PORT: port.default(7199),
  /**
   * 2 GiB: at 1 GiB, in the benchmark's slowest seconds, the old generation held 600-800 MiB and G1
   * collected every 50-100 ms for seconds at a time (bench/results/2026-12-04-cassandra-heap.md). The
   * memtable spaces are set in cassandra.yaml.template (their cells off heap), so the heap no longer sizes
   * them. Every node of the cluster topology gets it too; on a small machine set `-Xms256m -Xmx1g`.
   */
  CASSANDRA_HEAP: z.string().default('-Xms256m -Xmx2g'),
  CASSANDRA_START_TIMEOUT_S: seconds.default(180),
  CASSANDRA_ADMIN_USER: z.string().min(1).default('cassandra'),
  CASSANDRA_ADMIN_PASSWORD: z.string().min(1).default('cassandra'),
  CASSANDRA_USERNAME: z.string().min(1).default('sparkflow_app'),
  CASSANDRA_PASSWORD: z.string().min(1).default('sparkflow-app-dev'),
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, 'a lower-case CQL identifier')
    .default('sparkflow'),

  POSTGRES_PORT: port.default(5432),
  POSTGRES_START_TIMEOUT_S: seconds.default(60),
  /**
   * PostgreSQL's `shared_buffers` and `max_wal_size`. PostgreSQL's defaults (128MB, 1GB) held a small part
   * of the audit's indexes, whose keys are random UUIDs, and requested a checkpoint about every 45 s under
   * the benchmark's load, each followed by a full image of every page written again: with 1GB and 4GB the
   * database wrote half the WAL per user and cost less CPU per user
   * (bench/results/2026-12-05-audit-store-options.md). The cache is shared memory PostgreSQL fills as it
   * reads; on a small machine set `POSTGRES_SHARED_BUFFERS=256MB`.
   */
  POSTGRES_SHARED_BUFFERS: postgresSize('128kB').default('1GB'),
  POSTGRES_MAX_WAL_SIZE: postgresSize('32MB').default('4GB'),
  POSTGRES_ADMIN_PASSWORD: z.string().min(1).default('sparkflow-admin-dev'),
  /** Owns the database, its schemas and tables; runs the migrations at `up`. The services never see it. */
  POSTGRES_OWNER_USER: z.string().min(1).default('sparkflow_owner'),
  POSTGRES_OWNER_PASSWORD: z.string().min(1).default('sparkflow-owner-dev'),
  /** The services' and the Spark job's role: rows in existing tables only. */
  POSTGRES_USER: z.string().min(1).default('sparkflow_app'),
  POSTGRES_PASSWORD: z.string().min(1).default('sparkflow-app-dev'),
  POSTGRES_DB: z.string().min(1).default('sparkflow'),
  INGESTION_HTTP_PORT: port.default(3000),
  ENRICHMENT_HTTP_PORT: port.default(3001),
  PERSISTENCE_HTTP_PORT: port.default(3002),
  AUDIT_HTTP_PORT: port.default(3003),
  /** HAProxy's statistics page and health of its backends (cluster topology only). */
  HAPROXY_STATS_PORT: port.default(8404),
  /** Extra `node` flags for the four services, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them. */
  SERVICE_NODE_ARGS: z.string().default(''),
  /** How the supervisor restarts a service that exited: first delay, ceiling of the doubling, run that resets it. */
  SERVICE_RESTART_INITIAL_MS: z.coerce.number().int().min(100).default(1000),
  SERVICE_RESTART_MAX_MS: z.coerce.number().int().min(100).default(30_000),
  SERVICE_RESTART_STABLE_S: seconds.default(60),
  /**
   * The size, in MiB, past which a service's log is moved to `<log>.1` and emptied (checked every 10 s);
   * its sampled spans' file is bounded the same way by SPARKFLOW_TRACE_FILE_MAX_MB, read by the service.
   */
  SERVICE_LOG_MAX_MB: z.coerce.number().int().min(1).max(1_048_576).default(100),
  /** Keys ingestion accepts in `x-api-key`; the first is the one `npm start` sends. */
  INGESTION_API_KEYS: apiKeys('dev-ingestion-key'),
  /** Keys the audit's query API accepts in `x-api-key`; the first is the one `npm start` and Airflow send. */
  AUDIT_API_KEYS: apiKeys('dev-audit-key'),
  /** Unix user that owns the PostgreSQL cluster when the stack runs as root (initdb refuses root). */
  POSTGRES_OS_USER: z.string().default('postgres'),

  /** Airflow's api-server (UI and REST API); the scheduler's log server needs a port of its own. */
  AIRFLOW_PORT: port.default(8080),
  AIRFLOW_LOG_SERVER_PORT: port.default(8793),
  /** Includes `airflow db migrate` on the first start. */
  AIRFLOW_START_TIMEOUT_S: seconds.default(300),
  AIRFLOW_ADMIN_USER: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -')
    .default('admin'),
  AIRFLOW_ADMIN_PASSWORD: z.string().min(1).default('sparkflow-airflow-dev'),
  /** Airflow's metadata database and its role on the stack's PostgreSQL. */
  AIRFLOW_DB: z.string().min(1).default('airflow'),
  AIRFLOW_DB_USER: z.string().min(1).default('airflow'),
  AIRFLOW_DB_PASSWORD: z.string().min(1).default('airflow-dev'),
  /** A folder holding `spark-submit` for the Spark DAG; by default spark-jobs' cached venv, when one exists. */
  AIRFLOW_SPARK_BIN: z.string().optional(),
  /** The randomuser-compatible API `user_automation` pulls from (ingestion's RANDOMUSER_URL default). */
  AIRFLOW_RANDOMUSER_URL: z.url().default('https://randomuser.me/api/'),

  /** The standalone Spark master and worker (pyspark's spark-class); the master's UI is off Airflow's 8080. */
  SPARK_MASTER_PORT: port.default(7077),
  SPARK_MASTER_UI_PORT: port.default(8081),
  SPARK_WORKER_PORT: port.default(7078),
  SPARK_WORKER_UI_PORT: port.default(8084),
  SPARK_WORKER_CORES: z.coerce.number().int().min(1).default(2),
  SPARK_WORKER_MEMORY: z
    .string()
    .regex(/^\d+[mg]$/, 'a JVM size such as 2g')
    .default('2g'),
  SPARK_DAEMON_MEMORY: z
    .string()
    .regex(/^\d+[mg]$/, 'a JVM size such as 256m')
    .default('256m'),
  SPARK_START_TIMEOUT_S: seconds.default(120),
  /** Where Airflow submits the Spark jobs: the stack's spark-master unless set (e.g. `local[*]`). */
  SPARK_MASTER_URL: z
    .string()
    .regex(/^(local(\[(\*|\d+)\])?|spark:\/\/.+)$/, 'local[*] or spark://host:port')
    .optional(),
});

export type StackConfig = Readonly<
  z.infer<typeof Env> & {
    repoRoot: string;
    home: string;
    cache: string;
    deployDir: string;
    /** SCRAM passwords of the admin and of each principal, by role. */
    kafkaPasswords: Readonly<Record<KafkaRole | 'admin', string>>;
  }
>;

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const parsed = Env.safeParse(env);
  const passwords = KafkaPasswords.safeParse(env);
  const issues = [...(parsed.error?.issues ?? []), ...(passwords.error?.issues ?? [])];
  if (!parsed.success || !passwords.success || issues.length) {
    const lines = issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new UsageError(`invalid stack settings in the environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const byVariable = passwords.data as Record<string, string>;
  const kafkaPasswords = Object.fromEntries(
    (['admin', ...KAFKA_PRINCIPALS.map((p) => p.role)] as const).map((r) => [
      r,
      byVariable[kafkaPasswordVariable(r)],
    ]),
  ) as Record<KafkaRole | 'admin', string>;
  return Object.freeze({
    ...e,
    kafkaPasswords: Object.freeze(kafkaPasswords),
    repoRoot: REPO_ROOT,
    deployDir: join(REPO_ROOT, 'deploy', 'local'),
    home: resolve(e.SPARKFLOW_HOME ?? join(REPO_ROOT, '.sparkflow')),
    cache: resolve(e.SPARKFLOW_CACHE ?? join(homedir(), '.cache', 'sparkflow')),
  });
}

/** The key a client of the stack sends: the first of a comma-separated `*_API_KEYS` list. */
export const firstKey = (keys: string) => keys.split(',')[0].trim();

/**
 * How a client reaches the engines this stack started, in the variable names the services, the Spark
 * jobs and the tests read (KAFKA_BROKERS, CASSANDRA_*, POSTGRES_*).
 */
export function engineClientEnv(cfg: StackConfig): Record<string, string> {
  const topology = TOPOLOGIES[cfg.SPARKFLOW_TOPOLOGY];
  const hosts = (nodes: number, port: number) =>
    ordinals(nodes)
      .map((n) => `${nodeHost(n)}:${port}`)
      .join(',');
  return {
    KAFKA_BROKERS: hosts(topology.kafkaNodes, cfg.KAFKA_PORT),
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    CASSANDRA_CONTACT_POINTS: hosts(topology.cassandraNodes, cfg.CASSANDRA_PORT),
    CASSANDRA_USERNAME: cfg.CASSANDRA_USERNAME,
    CASSANDRA_PASSWORD: cfg.CASSANDRA_PASSWORD,
    CASSANDRA_KEYSPACE: cfg.CASSANDRA_KEYSPACE,
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(cfg.POSTGRES_PORT),
    POSTGRES_USER: cfg.POSTGRES_USER,
    POSTGRES_PASSWORD: cfg.POSTGRES_PASSWORD,
    POSTGRES_DB: cfg.POSTGRES_DB,
  };
}

/** How one principal of KAFKA_PRINCIPALS signs in to this stack's Kafka (KAFKA_USERNAME, KAFKA_PASSWORD). */
export function kafkaClientEnv(cfg: StackConfig, role: KafkaRole): Record<string, string> {
  const p = KAFKA_PRINCIPALS.find((x) => x.role === role);
  if (!p) throw new Error(`no Kafka principal for ${role}`);
  return {
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_USERNAME: p.user,
    KAFKA_PASSWORD: cfg.kafkaPasswords[role],
  };
}
