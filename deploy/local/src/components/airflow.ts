import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { engineClientEnv, firstKey, kafkaClientEnv, type StackConfig } from '../config';
import { SetupError } from '../errors';
import { launch } from '../processes';
import { type Component, type ComponentName, dataDir, logFile, pidFile } from './component';
import { adminConnection } from './postgres';
import { type SparkEnv, sparkEnv, sparkMasterUrl } from './spark-env';

const NAME = 'airflow' satisfies ComponentName;

const files = (cfg: StackConfig) => {
  const home = dataDir(cfg, NAME);
  return {
    home,
    secrets: join(home, 'secrets.json'),
    passwords: join(home, 'simple_auth_manager_passwords.json'),
    venvScript: join(cfg.repoRoot, 'airflow', 'scripts', 'venv.sh'),
    supervisor: join(cfg.repoRoot, 'airflow', 'scripts', 'supervise.py'),
    dags: join(cfg.repoRoot, 'airflow', 'dags'),
    include: join(cfg.repoRoot, 'airflow', 'include'),
    sparkJobsSrc: join(cfg.repoRoot, 'spark-jobs', 'src'),
    contractsPython: join(cfg.repoRoot, 'libs', 'contracts', 'python'),
  };
};

/** Set by prepare (which `up` always runs before start): the cached venvs scripts/venv.sh and spark-jobs resolved. */
let venvDir: string | null = null;
let spark: SparkEnv | null = null;

/** Runs a command without blocking the event loop (the other components are being probed meanwhile). */
function runAsync(
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; log: string },
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const fd = openSync(opts.log, 'a');
    const child = spawn(command, args, { env: opts.env, stdio: ['ignore', 'pipe', fd] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', (err) => {
      closeSync(fd);
      reject(new SetupError(`${command}: ${err.message}`));
    });
    child.on('close', (code) => {
      closeSync(fd);
      if (code === 0) resolvePromise(out);
      else reject(new SetupError(`${command} ${args.join(' ')} exited with ${code}; see ${opts.log}`));
    });
  });
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** The `airflow` role and database on the stack's PostgreSQL, created as the admin; idempotent. */
async function ensureDatabase(cfg: StackConfig): Promise<void> {
  const client = new Client({ ...adminConnection(cfg), connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [cfg.AIRFLOW_DB_USER]);
    const verb = role.rowCount ? 'ALTER' : 'CREATE';
    await client.query(
      `${verb} ROLE ${ident(cfg.AIRFLOW_DB_USER)} LOGIN PASSWORD ${literal(cfg.AIRFLOW_DB_PASSWORD)}`,
    );
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.AIRFLOW_DB]);
    if (!db.rowCount)
      await client.query(`CREATE DATABASE ${ident(cfg.AIRFLOW_DB)} OWNER ${ident(cfg.AIRFLOW_DB_USER)}`);
  } finally {
    await client.end();
  }
}

interface Secrets {
  jwtSecret: string;
  apiSecretKey: string;
  fernetKey: string;
}

/** Generated once per data folder: the api-server, scheduler and task runners must share them. */
function secrets(cfg: StackConfig): Secrets {
  const f = files(cfg).secrets;
  if (existsSync(f)) return JSON.parse(readFileSync(f, 'utf8')) as Secrets;
  const s: Secrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    apiSecretKey: randomBytes(32).toString('base64url'),
    fernetKey: randomBytes(32).toString('base64url') + '=',
  };
  writeFileSync(f, JSON.stringify(s), { mode: 0o600 });
  return s;
}

/** SparkSubmitHook builds the master from host and port: `spark://h` + 7077, or `local[*]` alone. */
function sparkConnection(master: string): Record<string, unknown> {
  const m = /^(spark:\/\/[^:/]+):(\d+)$/.exec(master);
  return m ? { conn_type: 'spark', host: m[1], port: Number(m[2]) } : { conn_type: 'spark', host: master };
}

const httpConn = (host: string, port: number, extra: Record<string, string> = {}) =>
  JSON.stringify({ conn_type: 'http', host, port, schema: 'http', extra });

/** Airflow's settings and the `AIRFLOW_CONN_*` connections the DAGs use, all derived from the stack's. */
export function airflowEnv(cfg: StackConfig, spark: SparkEnv): NodeJS.ProcessEnv {
  const f = files(cfg);
  const s = secrets(cfg);
  const sparkBin = cfg.AIRFLOW_SPARK_BIN ?? spark.bin;
  const master = sparkMasterUrl(cfg);
  const db = `postgresql+psycopg2://${encodeURIComponent(cfg.AIRFLOW_DB_USER)}:${encodeURIComponent(cfg.AIRFLOW_DB_PASSWORD)}@127.0.0.1:${cfg.POSTGRES_PORT}/${encodeURIComponent(cfg.AIRFLOW_DB)}`;
  const ingestionKey = firstKey(cfg.INGESTION_API_KEYS);
  return {
    ...process.env,
    // spark-submit, the driver's Python and the jars: what spark-jobs/scripts/ensure-env.sh resolved.
    PATH: `${sparkBin}:${process.env.PATH ?? ''}`,
    PYSPARK_PYTHON: spark.python,
    SPARK_HOME: spark.sparkHome,
    SPARKFLOW_SPARK_JARS: spark.jars,
    SPARK_MASTER_URL: master,
    // The driver binds loopback, like every process of the stack (else Spark picks the host's address).
    SPARK_LOCAL_IP: '127.0.0.1',
    // The DAGs' helpers, spark-jobs' launcher (sparkflow_jobs.launch) the Spark operator asks for its settings,
    // and the contracts' reader (sparkflow_contracts) both use.
    PYTHONPATH: `${f.include}:${f.sparkJobsSrc}:${f.contractsPython}`,
    AIRFLOW_HOME: f.home,
    AIRFLOW__CORE__DAGS_FOLDER: f.dags,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__EXECUTOR: 'LocalExecutor',
    // Two cores: a handful of task processes at once is all this machine can run usefully.
    AIRFLOW__CORE__PARALLELISM: '4',
    AIRFLOW__CORE__FERNET_KEY: s.fernetKey,
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://127.0.0.1:${cfg.AIRFLOW_PORT}/execution/`,
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: `${cfg.AIRFLOW_ADMIN_USER}:admin`,
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE: f.passwords,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: db,
    AIRFLOW__API__HOST: '127.0.0.1',
    AIRFLOW__API__PORT: String(cfg.AIRFLOW_PORT),
    AIRFLOW__API__WORKERS: '1',
    AIRFLOW__API__BASE_URL: `http://127.0.0.1:${cfg.AIRFLOW_PORT}`,
    AIRFLOW__API__SECRET_KEY: s.apiSecretKey,
    AIRFLOW__API_AUTH__JWT_SECRET: s.jwtSecret,
    AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT: String(cfg.AIRFLOW_LOG_SERVER_PORT),
    AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL: '30',
    AIRFLOW_CONN_SPARKFLOW_INGESTION: httpConn('127.0.0.1', cfg.INGESTION_HTTP_PORT, {
      'x-api-key': ingestionKey,
    }),
    AIRFLOW_CONN_SPARKFLOW_AUDIT: httpConn('127.0.0.1', cfg.AUDIT_HTTP_PORT, {
      'x-api-key': firstKey(cfg.AUDIT_API_KEYS),
    }),
    AIRFLOW_CONN_SPARKFLOW_RANDOMUSER: JSON.stringify({
      conn_type: 'http',
      host: cfg.AIRFLOW_RANDOMUSER_URL,
    }),
    AIRFLOW_CONN_SPARKFLOW_SPARK: JSON.stringify(sparkConnection(master)),
    AIRFLOW_CONN_SPARKFLOW_ANALYTICS: JSON.stringify({
      conn_type: 'postgres',
      host: '127.0.0.1',
      port: cfg.POSTGRES_PORT,
      login: cfg.POSTGRES_USER,
      password: cfg.POSTGRES_PASSWORD,
      schema: cfg.POSTGRES_DB,
    }),
    // What the Spark job reads (same names as the services').
    SPARKFLOW_HOME: cfg.home,
    ...engineClientEnv(cfg),
    // Airflow itself never talks to Kafka; the Spark jobs it submits sign in as the spark principal.
    ...kafkaClientEnv(cfg, 'spark'),
  };
}

/**
 * Apache Airflow 3 from PyPI (venv cached outside the repo), its metadata in the stack's PostgreSQL:
 * one supervisor process runs `airflow db migrate`, then api-server, scheduler and dag-processor.
 */
export const airflow: Component = {
  name: NAME,
  base: NAME,
  kind: 'service',
  stopSignal: 'SIGTERM',
  ports: (cfg) => [cfg.AIRFLOW_PORT, cfg.AIRFLOW_LOG_SERVER_PORT],
  mainPort: (cfg) => cfg.AIRFLOW_PORT,
  startTimeoutMs: (cfg) => cfg.AIRFLOW_START_TIMEOUT_S * 1000,

  async prepare(cfg) {
    const f = files(cfg);
    mkdirSync(f.home, { recursive: true });
    mkdirSync(join(cfg.home, 'logs'), { recursive: true });
    const log = logFile(cfg, NAME);
    const env = { ...process.env, SPARKFLOW_CACHE: cfg.cache };
    venvDir = (await runAsync('bash', [f.venvScript], { env, log })).trim().split('\n').pop() ?? null;
    if (!venvDir || !existsSync(join(venvDir, 'bin', 'airflow'))) {
      throw new SetupError(`the Airflow venv was not created (${f.venvScript}); see ${log}`);
    }
    spark = await sparkEnv(cfg, log);
    await ensureDatabase(cfg);
    // The simple auth manager's users come from AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS, their passwords from here.
    writeFileSync(
      f.passwords,
      `${JSON.stringify({ [cfg.AIRFLOW_ADMIN_USER]: cfg.AIRFLOW_ADMIN_PASSWORD })}\n`,
      { mode: 0o600 },
    );
  },

  start(cfg) {
    const f = files(cfg);
    if (!venvDir || !spark) throw new SetupError('airflow: start before prepare');
    return launch({
      command: join(venvDir, 'bin', 'python'),
      args: [f.supervisor, `--home=${f.home}`, `--port=${cfg.AIRFLOW_PORT}`],
      cwd: f.home,
      env: airflowEnv(cfg, spark),
      logFile: logFile(cfg, NAME),
      pidFile: pidFile(cfg, NAME),
    });
  },

  async probe(cfg) {
    const res = await fetch(`http://127.0.0.1:${cfg.AIRFLOW_PORT}/api/v2/monitor/health`, {
      signal: AbortSignal.timeout(3000),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${body.slice(0, 200)}`);
    const health = JSON.parse(body) as Record<string, { status?: string } | undefined>;
    const parts = ['metadatabase', 'scheduler', 'dag_processor'].map(
      (k) => `${k} ${health[k]?.status ?? 'unknown'}`,
    );
    if (health.metadatabase?.status !== 'healthy' || health.scheduler?.status !== 'healthy') {
      throw new Error(parts.join(', '));
    }
    return parts.join(', ');
  },
};
