import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { engineClientEnv, firstKey, type StackConfig } from '../config';
import { SetupError } from '../errors';
import { launch } from '../processes';
import { type Component, type ComponentName, dataDir, logFile, pidFile } from './component';
import { adminConnection } from './postgres';

const NAME: ComponentName = 'airflow';

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
  };
};

/** Set by prepare (which `up` always runs before start): the cached venv scripts/venv.sh resolved. */
let venvDir: string | null = null;

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

/** The newest folder `<cache>/<kind>/spark-*` that `ready` accepts (spark-jobs' venvs and jars, keyed by hash). */
function newestSparkDir(
  cfg: StackConfig,
  kind: 'venvs' | 'jars',
  ready: (dir: string) => boolean,
): string | null {
  const root = join(cfg.cache, kind);
  if (!existsSync(root)) return null;
  const dirs = readdirSync(root)
    .map((d) => join(root, d))
    .filter((d) => /\/spark-[0-9a-f]+$/.test(d) && ready(d))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return dirs[0] ?? null;
}

/** `spark-submit` for users_daily_aggregates: AIRFLOW_SPARK_BIN, else spark-jobs' cached venv when one exists. */
function sparkBin(cfg: StackConfig): string | null {
  if (cfg.AIRFLOW_SPARK_BIN) return cfg.AIRFLOW_SPARK_BIN;
  const venv = newestSparkDir(
    cfg,
    'venvs',
    (d) => existsSync(join(d, '.complete')) && existsSync(join(d, 'bin', 'spark-submit')),
  );
  return venv ? join(venv, 'bin') : null;
}

const httpConn = (host: string, port: number, extra: Record<string, string> = {}) =>
  JSON.stringify({ conn_type: 'http', host, port, schema: 'http', extra });

/** Airflow's settings and the `AIRFLOW_CONN_*` connections the DAGs use, all derived from the stack's. */
export function airflowEnv(cfg: StackConfig): NodeJS.ProcessEnv {
  const f = files(cfg);
  const s = secrets(cfg);
  const spark = sparkBin(cfg);
  const jars = newestSparkDir(cfg, 'jars', (d) => readdirSync(d).some((f) => f.endsWith('.jar')));
  const db = `postgresql+psycopg2://${encodeURIComponent(cfg.AIRFLOW_DB_USER)}:${encodeURIComponent(cfg.AIRFLOW_DB_PASSWORD)}@127.0.0.1:${cfg.POSTGRES_PORT}/${encodeURIComponent(cfg.AIRFLOW_DB)}`;
  const ingestionKey = firstKey(cfg.INGESTION_API_KEYS);
  return {
    ...process.env,
    PATH: spark ? `${spark}:${process.env.PATH ?? ''}` : process.env.PATH,
    ...(spark ? { PYSPARK_PYTHON: join(spark, 'python') } : {}),
    ...(jars ? { SPARKFLOW_SPARK_JARS: jars } : {}),
    PYTHONPATH: f.include,
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
    AIRFLOW_CONN_SPARKFLOW_INGESTION: httpConn('127.0.0.1', cfg.INGESTION_HTTP_PORT, { 'x-api-key': ingestionKey }),
    AIRFLOW_CONN_SPARKFLOW_AUDIT: httpConn('127.0.0.1', cfg.AUDIT_HTTP_PORT, { 'x-api-key': firstKey(cfg.AUDIT_API_KEYS) }),
    AIRFLOW_CONN_SPARKFLOW_RANDOMUSER: JSON.stringify({
      conn_type: 'http',
      host: cfg.AIRFLOW_RANDOMUSER_URL,
    }),
    AIRFLOW_CONN_SPARKFLOW_SPARK: JSON.stringify({ conn_type: 'spark', host: 'local[*]' }),
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
  };
}

/**
 * Apache Airflow 3 from PyPI (venv cached outside the repo), its metadata in the stack's PostgreSQL:
 * one supervisor process runs `airflow db migrate`, then api-server, scheduler and dag-processor.
 */
export const airflow: Component = {
  name: NAME,
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
    if (!venvDir) throw new SetupError('airflow: start before prepare');
    return launch({
      command: join(venvDir, 'bin', 'python'),
      args: [f.supervisor, `--home=${f.home}`, `--port=${cfg.AIRFLOW_PORT}`],
      cwd: f.home,
      env: airflowEnv(cfg),
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
