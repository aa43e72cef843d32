import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { provisionPostgres } from '@sparkflow/postgres';
import type { StackConfig } from '../config';
import { SetupError } from '../errors';
import { launch, run } from '../processes';
import { type Component, dataDir, logFile, pidFile } from './component';

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

function pgBin(tool: string): string {
  for (const dir of BIN_DIRS) if (existsSync(join(dir, tool))) return join(dir, tool);
  throw new SetupError(
    `PostgreSQL server binaries (${tool}) not found in ${BIN_DIRS.join(', ')}. ` +
      'Install them (Debian: apt-get install -y postgresql-15).',
  );
}

/** initdb refuses to run as root, so as root the cluster belongs to an unprivileged OS user. */
function osUser(cfg: StackConfig): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${cfg.POSTGRES_OS_USER}:`));
  if (!line) {
    throw new SetupError(
      `running as root, PostgreSQL needs an unprivileged OS user "${cfg.POSTGRES_OS_USER}" to own its cluster; ` +
        'create it (useradd --system postgres) or set POSTGRES_OS_USER',
    );
  }
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

const paths = (cfg: StackConfig) => {
  const dir = dataDir(cfg, 'postgres');
  return { dir, data: join(dir, 'data'), socket: join(dir, 'socket') };
};

export const adminConnection = (cfg: StackConfig, database = 'postgres') => ({
  host: '127.0.0.1',
  port: cfg.POSTGRES_PORT,
  user: 'postgres',
  password: cfg.POSTGRES_ADMIN_PASSWORD,
  database,
});

async function withClient<T>(
  conn: ReturnType<typeof adminConnection>,
  fn: (c: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ ...conn, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const postgres: Component = {
  name: 'postgres',
  base: 'postgres',
  kind: 'engine',
  // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
  stopSignal: 'SIGINT',
  ports: (cfg) => [cfg.POSTGRES_PORT],
  mainPort: (cfg) => cfg.POSTGRES_PORT,
  startTimeoutMs: (cfg) => cfg.POSTGRES_START_TIMEOUT_S * 1000,

  async prepare(cfg) {
    const p = paths(cfg);
    const owner = osUser(cfg);
    const initdb = pgBin('initdb');
    for (const d of [p.dir, p.socket]) {
      mkdirSync(d, { recursive: true });
      if (owner.uid !== undefined) chownSync(d, owner.uid, owner.gid ?? owner.uid);
    }
    if (existsSync(join(p.data, 'PG_VERSION'))) return;
    rmSync(p.data, { recursive: true, force: true });
    const pwfile = join(p.dir, '.initdb-pw');
    writeFileSync(pwfile, `${cfg.POSTGRES_ADMIN_PASSWORD}\n`, { mode: 0o600 });
    if (owner.uid !== undefined) chownSync(pwfile, owner.uid, owner.gid ?? owner.uid);
    try {
      run(
        initdb,
        [
          '-D',
          p.data,
          '-U',
          'postgres',
          '--auth=scram-sha-256',
          `--pwfile=${pwfile}`,
          '-E',
          'UTF8',
          '--locale=C.UTF-8',
        ],
        {
          ...owner,
          cwd: p.dir,
        },
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  },

  start(cfg) {
    const p = paths(cfg);
    return launch({
      command: pgBin('postgres'),
      args: [
        '-D',
        p.data,
        '-p',
        String(cfg.POSTGRES_PORT),
        '-k',
        p.socket,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'max_connections=200',
        '-c',
        `shared_buffers=${cfg.POSTGRES_SHARED_BUFFERS}`,
        '-c',
        `max_wal_size=${cfg.POSTGRES_MAX_WAL_SIZE}`,
        '-c',
        'fsync=on',
      ],
      cwd: p.dir,
      logFile: logFile(cfg, 'postgres'),
      pidFile: pidFile(cfg, 'postgres'),
      ...osUser(cfg),
    });
  },

  async probe(cfg) {
    return withClient(adminConnection(cfg), async (c) => {
      const { rows } = await c.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      return `PostgreSQL ${rows[0].v}`;
    });
  },

  // Idempotent, and it upgrades a data folder from before the owner role: the app role's tables pass to the owner.
  async bootstrap(cfg) {
    const admin = adminConnection(cfg);
    const changes = await provisionPostgres({
      host: admin.host,
      port: admin.port,
      database: cfg.POSTGRES_DB,
      admin: { username: admin.user, password: admin.password, maintenanceDatabase: admin.database },
      owner: { username: cfg.POSTGRES_OWNER_USER, password: cfg.POSTGRES_OWNER_PASSWORD },
      app: { username: cfg.POSTGRES_USER, password: cfg.POSTGRES_PASSWORD },
    });
    return changes.length ? changes : ['roles, databases, privileges and migrations up to date'];
  },
};
