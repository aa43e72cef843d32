import {
  CassandraEnv,
  KafkaEnv,
  apiKeysEnv,
  httpPort,
  kafkaAuthEnv,
  parseEnv,
  splitList,
} from '@sparkflow/service-kit';
import { join, resolve } from 'node:path';
import {
  API_KEY_MIN_LENGTH,
  API_KEYS_RULE,
  TOPOLOGIES,
  type TopologyName,
  localNodeAddresses,
  localServiceProcesses,
  recordedLocalTopology,
} from '@sparkflow/contracts';
import { z } from 'zod';

const PORT = 'a port number from 1 to 65535';
const port = z.coerce.number({ error: PORT }).int(PORT).min(1, PORT).max(65535, PORT);

/**
 * A SparkFlow API's base URL: http(s), without a user or password (Node's fetch refuses to send a request
 * to a URL holding them, and the API key goes in `x-api-key`). The message never repeats the URL.
 */
const apiUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).refine((url) => {
  const { username, password } = new URL(url);
  return !username && !password;
}, 'a URL without a user or password (the API key is sent in x-api-key, from the API_KEYS settings)');

/**
 * The services' API keys, as they take them; the CLI sends one in the `x-api-key` header, which carries
 * visible ASCII (spaces inside) and nothing else, so any other key could not even be sent.
 */
const headerKeys = (devDefault: string) =>
  apiKeysEnv(devDefault).refine(
    (keys) => keys.every((k) => /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(k)),
    'sent in the x-api-key header: visible ASCII characters only (no control characters, no other scripts)',
  );

/**
 * The CLI reads the variables the services and the native stack read, so `KAFKA_PORT=39092 npx sparkflow …`
 * talks to the stack `KAFKA_PORT=39092 npm run stack -- up` started. Explicit address lists win over ports.
 */
const Env = KafkaEnv.extend(kafkaAuthEnv('cli').shape)
  .extend(CassandraEnv.shape)
  .extend({
    /**
     * The native stack's shape when its home records none: in `cluster` the ports name three brokers and
     * three Cassandra nodes (127.0.0.1–127.0.0.3), and the CLI lists them all, so one node down does not
     * stop it.
     */
    SPARKFLOW_TOPOLOGY: z.enum(['single', 'cluster']).optional(),
    KAFKA_PORT: port.optional(),
    CASSANDRA_PORT: port.optional(),
    INGESTION_HTTP_PORT: httpPort(3000),
    AUDIT_HTTP_PORT: httpPort(3003),
    ENRICHMENT_HTTP_PORT: httpPort(3001),
    PERSISTENCE_HTTP_PORT: httpPort(3002),
    /** Base URLs when the APIs are not on this machine (Compose, Kubernetes); default http://127.0.0.1:<port>. */
    INGESTION_URL: apiUrl.optional(),
    AUDIT_URL: apiUrl.optional(),
    ENRICHMENT_URL: apiUrl.optional(),
    PERSISTENCE_URL: apiUrl.optional(),
    /** Comma-separated; the CLI sends the first in `x-api-key`. */
    INGESTION_API_KEYS: headerKeys('dev-ingestion-key'),
    /** Comma-separated; the CLI sends the first in `x-api-key` to the audit (`--audit-key` wins). */
    AUDIT_API_KEYS: headerKeys('dev-audit-key'),
    /** The services' consumer groups (their own defaults), to tell which stage holds a batch. */
    ENRICHMENT_GROUP_ID: z.string().min(1).default('sparkflow-enrichment'),
    PERSISTENCE_GROUP_ID: z.string().min(1).default('sparkflow-persistence'),
    AUDIT_GROUP_ID: z.string().min(1).default('sparkflow-audit'),
    /** https://no-color.org: any non-empty value turns colour off. */
    NO_COLOR: z.string().optional(),
    FORCE_COLOR: z.string().optional(),
  });

export interface CliConfig {
  readonly kafkaBrokers: string[];
  /** The operator's Kafka login (KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SASL_MECHANISM). */
  readonly kafkaLogin: {
    readonly mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain';
    readonly username: string;
    readonly password: string;
  };
  readonly cassandra: {
    readonly contactPoints: string[];
    readonly localDataCenter: string;
    readonly keyspace: string;
    readonly username: string;
    readonly password: string;
  };
  readonly ingestionUrl: string;
  readonly auditUrl: string;
  /** The setting `auditUrl` came from (AUDIT_URL, else AUDIT_HTTP_PORT), to name when the address is wrong. */
  readonly auditUrlSetting: 'AUDIT_URL' | 'AUDIT_HTTP_PORT';
  /**
   * Where `sparkflow top` reads each service's `/metrics` and `/health/ready`: one base URL per process,
   * so every replica of a cluster stack (not the one HAProxy picks); one URL when `<SERVICE>_URL` is set.
   */
  readonly serviceReplicas: Readonly<Record<ServiceName, readonly ServiceReplica[]>>;
  readonly apiKey: string;
  readonly auditKey: string;
  readonly color: 'auto' | 'never' | 'always';
  /** KAFKA_STALL_AFTER_S: the stall time of `top`, `topics describe` and `batches watch` without --stall-after. */
  readonly stallAfterSeconds: number;
  /** How `dlq replay` produces: KAFKA_PRODUCER_CLIENT and KAFKA_COMPRESSION, as the services do. */
  readonly producer: { readonly client: 'kafkajs' | 'platformatic'; readonly compression: 'none' | 'gzip' };
  readonly groups: { readonly enrichment: string; readonly persistence: string; readonly audit: string };
}

export type ServiceName = 'ingestion' | 'enrichment' | 'persistence' | 'audit';

/** One process of a service: its name (`enrichment`, or `enrichment-2` on a cluster stack) and base URL. */
export interface ServiceReplica {
  readonly name: string;
  readonly url: string;
}

/** The repository the CLI runs from, where the native stack keeps its home by default. */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/**
 * The native stack's home, found as the stack finds it (`deploy/local`'s config): `$SPARKFLOW_HOME`, a
 * relative path resolved from the working directory like any path on a command line, else
 * `<repo>/.sparkflow`.
 */
export function stackHome(raw: Record<string, string | undefined>, cwd: string = process.cwd()): string {
  const home = raw['SPARKFLOW_HOME'];
  return home === undefined ? join(REPO_ROOT, '.sparkflow') : resolve(cwd, home);
}

/**
 * The topology the native stack's home was made for, read as `npm run stack` reads it: the `topology`
 * file `stack up` writes in its home (`stackHome`), else the data folders of an older home (`kafka`
 * single, `kafka-1` cluster); null when there is no home, or it cannot be read.
 */
export function recordedStackTopology(
  raw: Record<string, string | undefined>,
  cwd: string = process.cwd(),
): TopologyName | null {
  try {
    return recordedLocalTopology(stackHome(raw, cwd));
  } catch {
    // A home whose record cannot be read tells nothing; the variables decide.
    return null;
  }
}

/** Flags that override a variable; they are validated as that variable. */
export interface CliFlags {
  auditKey?: string;
}

/**
 * The CLI's settings from the environment. Without explicit address lists it talks to the native stack,
 * every node of its topology, chosen as `npm run stack` chooses it: the one the stack's home records
 * (`recorded`; the command passes `recordedStackTopology`), else SPARKFLOW_TOPOLOGY, else single.
 */
export function loadCliConfig(
  raw: Record<string, string | undefined> = process.env,
  flags: CliFlags = {},
  recorded: (raw: Record<string, string | undefined>) => TopologyName | null = () => null,
): CliConfig {
  const derived: Record<string, string | undefined> = {};
  if (flags.auditKey !== undefined) derived['AUDIT_API_KEYS'] = flags.auditKey;
  // The native stack keeps the CLI's password in KAFKA_CLI_PASSWORD; KAFKA_PASSWORD wins when both are set.
  if (!raw['KAFKA_PASSWORD'] && raw['KAFKA_CLI_PASSWORD'])
    derived['KAFKA_PASSWORD'] = raw['KAFKA_CLI_PASSWORD'];
  // A SPARKFLOW_TOPOLOGY that is neither name is refused by parseEnv below, naming the variable.
  const cluster = (recorded(raw) ?? raw['SPARKFLOW_TOPOLOGY']) === 'cluster';
  const topologyName: TopologyName = cluster ? 'cluster' : 'single';
  const topology = TOPOLOGIES[topologyName];
  // A port that is refused (named below by its own variable) derives no address list to refuse as well.
  const usablePort = (name: string) => !raw[name] || port.safeParse(raw[name]).success;
  if (!raw['KAFKA_BROKERS'] && (raw['KAFKA_PORT'] || cluster) && usablePort('KAFKA_PORT')) {
    derived['KAFKA_BROKERS'] = localNodeAddresses(topology.kafkaNodes, raw['KAFKA_PORT'] || 9092);
  }
  if (
    !raw['CASSANDRA_CONTACT_POINTS'] &&
    (raw['CASSANDRA_PORT'] || cluster) &&
    usablePort('CASSANDRA_PORT')
  ) {
    derived['CASSANDRA_CONTACT_POINTS'] = localNodeAddresses(
      topology.cassandraNodes,
      raw['CASSANDRA_PORT'] || 9042,
    );
  }
  let e: z.infer<typeof Env>;
  try {
    e = parseEnv('sparkflow', Env, { ...raw, ...derived });
  } catch (err) {
    // The key came from the flag: the message names the flag, not the variable the user did not set.
    if (flags.auditKey === undefined) throw err;
    throw new Error(
      (err as Error).message
        .replace(/^ {2}AUDIT_API_KEYS:/m, '  --audit-key:')
        .replace(API_KEYS_RULE, `a key of at least ${API_KEY_MIN_LENGTH} characters`),
    );
  }
  // An explicit URL is one address (a load balancer, a Kubernetes Service); else every local process.
  const replicas = (service: ServiceName, url: string | undefined, port: number): ServiceReplica[] =>
    url
      ? [{ name: service, url: url.replace(/\/$/, '') }]
      : localServiceProcesses(topologyName, service, port).map((p) => ({
          name: p.name,
          url: `http://127.0.0.1:${p.port}`,
        }));
  return Object.freeze({
    kafkaBrokers: splitList(e.KAFKA_BROKERS),
    kafkaLogin: Object.freeze({
      mechanism: e.KAFKA_SASL_MECHANISM,
      username: e.KAFKA_USERNAME,
      password: e.KAFKA_PASSWORD,
    }),
    cassandra: Object.freeze({
      contactPoints: splitList(e.CASSANDRA_CONTACT_POINTS),
      localDataCenter: e.CASSANDRA_LOCAL_DC,
      keyspace: e.CASSANDRA_KEYSPACE,
      username: e.CASSANDRA_USERNAME,
      password: e.CASSANDRA_PASSWORD,
    }),
    ingestionUrl: (e.INGESTION_URL ?? `http://127.0.0.1:${e.INGESTION_HTTP_PORT}`).replace(/\/$/, ''),
    auditUrl: (e.AUDIT_URL ?? `http://127.0.0.1:${e.AUDIT_HTTP_PORT}`).replace(/\/$/, ''),
    auditUrlSetting: e.AUDIT_URL ? 'AUDIT_URL' : 'AUDIT_HTTP_PORT',
    serviceReplicas: Object.freeze({
      ingestion: replicas('ingestion', e.INGESTION_URL, e.INGESTION_HTTP_PORT),
      enrichment: replicas('enrichment', e.ENRICHMENT_URL, e.ENRICHMENT_HTTP_PORT),
      persistence: replicas('persistence', e.PERSISTENCE_URL, e.PERSISTENCE_HTTP_PORT),
      audit: replicas('audit', e.AUDIT_URL, e.AUDIT_HTTP_PORT),
    }),
    apiKey: e.INGESTION_API_KEYS[0],
    auditKey: e.AUDIT_API_KEYS[0],
    groups: Object.freeze({
      enrichment: e.ENRICHMENT_GROUP_ID,
      persistence: e.PERSISTENCE_GROUP_ID,
      audit: e.AUDIT_GROUP_ID,
    }),
    // FORCE_COLOR=0 asks for none, as most tools read it; any other value for colour.
    color: e.NO_COLOR || e.FORCE_COLOR === '0' ? 'never' : e.FORCE_COLOR ? 'always' : 'auto',
    stallAfterSeconds: e.KAFKA_STALL_AFTER_S,
    producer: Object.freeze({ client: e.KAFKA_PRODUCER_CLIENT, compression: e.KAFKA_COMPRESSION }),
  });
}
