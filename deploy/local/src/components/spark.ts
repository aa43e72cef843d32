import { dirname, join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { StackConfig } from '../config';
import { findJava } from '../java';
import { SetupError } from '../errors';
import { launch } from '../processes';
import { type Component, type ComponentName, dataDir, logFile, pidFile } from './component';
import { sparkEnv } from './spark-env';

/**
 * A standalone Spark master and one worker, started from pyspark's own distribution (`spark-class`
 * in spark-jobs' venv) — what Compose's spark-master/spark-worker and a cluster run. Airflow's
 * `sparkflow_spark` connection submits to this master; `SPARK_MASTER_URL` points a job at it.
 * Ports are settings, and the master's UI is off Airflow's 8080 (Spark's own default).
 */

interface MasterJson {
  status?: string;
  workers?: { host: string; port: number; state: string; cores: number }[];
}

const props = (cfg: StackConfig, name: ComponentName) => join(dataDir(cfg, name), 'spark-defaults.conf');

async function masterState(cfg: StackConfig): Promise<MasterJson> {
  const res = await fetch(`http://127.0.0.1:${cfg.SPARK_MASTER_UI_PORT}/json/`, {
    signal: AbortSignal.timeout(3000),
  });
  if (!res.ok) throw new Error(`master UI answered HTTP ${res.status}`);
  return (await res.json()) as MasterJson;
}

function daemon(
  name: 'spark-master' | 'spark-worker',
  kind: Component['kind'],
  mainClass: string,
  args: (cfg: StackConfig) => string[],
  extra: {
    ports: (cfg: StackConfig) => number[];
    defaults: string[];
    probe: (cfg: StackConfig) => Promise<string>;
  },
): Component {
  let sparkClass: string | null = null;
  let sparkHome: string | null = null;
  return {
    name,
    base: name,
    kind,
    stopSignal: 'SIGTERM',
    ports: extra.ports,
    mainPort: (cfg) => extra.ports(cfg)[0],
    startTimeoutMs: (cfg) => cfg.SPARK_START_TIMEOUT_S * 1000,
    async prepare(cfg) {
      findJava(cfg);
      mkdirSync(join(dataDir(cfg, name), 'local'), { recursive: true });
      mkdirSync(dirname(logFile(cfg, name)), { recursive: true });
      const env = await sparkEnv(cfg, logFile(cfg, name));
      sparkHome = env.sparkHome;
      sparkClass = join(env.sparkHome, 'bin', 'spark-class');
      // The properties file is also the marker the stack finds in /proc/<pid>/cmdline.
      writeFileSync(props(cfg, name), `${extra.defaults.join('\n')}\n`);
    },
    start(cfg) {
      if (!sparkClass || !sparkHome) throw new SetupError(`${name}: start before prepare`);
      return launch({
        command: sparkClass,
        args: [mainClass, ...args(cfg), '--properties-file', props(cfg, name)],
        cwd: dataDir(cfg, name),
        env: {
          ...process.env,
          ...(cfg.JAVA_HOME ? { JAVA_HOME: cfg.JAVA_HOME } : {}),
          SPARK_HOME: sparkHome,
          SPARK_DAEMON_MEMORY: cfg.SPARK_DAEMON_MEMORY,
          SPARK_LOCAL_DIRS: join(dataDir(cfg, name), 'local'),
          SPARK_LOCAL_IP: '127.0.0.1',
        },
        logFile: logFile(cfg, name),
        pidFile: pidFile(cfg, name),
      });
    },
    probe: extra.probe,
  };
}

export const sparkMaster: Component = daemon(
  'spark-master',
  'engine',
  'org.apache.spark.deploy.master.Master',
  (cfg) => [
    '--host',
    '127.0.0.1',
    '--port',
    String(cfg.SPARK_MASTER_PORT),
    '--webui-port',
    String(cfg.SPARK_MASTER_UI_PORT),
  ],
  {
    ports: (cfg) => [cfg.SPARK_MASTER_PORT, cfg.SPARK_MASTER_UI_PORT],
    defaults: ['spark.master.rest.enabled false'],
    async probe(cfg) {
      const s = await masterState(cfg);
      if (s.status !== 'ALIVE') throw new Error(`master status ${s.status ?? 'unknown'}`);
      const alive = (s.workers ?? []).filter((w) => w.state === 'ALIVE').length;
      return `spark://127.0.0.1:${cfg.SPARK_MASTER_PORT}, ${alive} worker(s) alive, UI :${cfg.SPARK_MASTER_UI_PORT}`;
    },
  },
);

export const sparkWorker: Component = daemon(
  'spark-worker',
  'service',
  'org.apache.spark.deploy.worker.Worker',
  (cfg) => [
    '--host',
    '127.0.0.1',
    '--port',
    String(cfg.SPARK_WORKER_PORT),
    '--webui-port',
    String(cfg.SPARK_WORKER_UI_PORT),
    '--cores',
    String(cfg.SPARK_WORKER_CORES),
    '--memory',
    cfg.SPARK_WORKER_MEMORY,
    '--work-dir',
    join(dataDir(cfg, 'spark-worker'), 'work'),
    `spark://127.0.0.1:${cfg.SPARK_MASTER_PORT}`,
  ],
  {
    ports: (cfg) => [cfg.SPARK_WORKER_PORT, cfg.SPARK_WORKER_UI_PORT],
    // Finished applications' folders (their logs and the jars copied for them) do not pile up.
    defaults: ['spark.worker.cleanup.enabled true', 'spark.worker.cleanup.appDataTtl 86400'],
    async probe(cfg) {
      const s = await masterState(cfg);
      const me = (s.workers ?? []).find((w) => w.port === cfg.SPARK_WORKER_PORT && w.state === 'ALIVE');
      if (!me) throw new Error(`not (yet) registered with the master on :${cfg.SPARK_MASTER_PORT}`);
      return `registered with spark://127.0.0.1:${cfg.SPARK_MASTER_PORT}, ${me.cores} cores`;
    },
  },
);
