import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StackConfig } from '../config';
import { SetupError } from '../errors';

/** What spark-jobs/scripts/ensure-env.sh resolved: pyspark's venv and the connector jar folder (both cached by hash). */
export interface SparkEnv {
  /** The venv's python (PYSPARK_PYTHON); `spark-submit` and `spark-class` sit beside it. */
  python: string;
  bin: string;
  jars: string;
  /** pyspark's own distribution (its `bin/spark-class`, `jars/`), which `find-spark-home` looks up with whatever `python3` is first on PATH. */
  sparkHome: string;
}

let resolved: Promise<SparkEnv> | null = null;

const FIND_PYSPARK =
  "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('pyspark').origin))";

/**
 * Builds or reuses spark-jobs' venv and jars by running the script the jobs' own launchers source, so
 * Airflow, the standalone master/worker and `run-job.sh` use the same pyspark and the same jars.
 * Asked once per `stack up` (airflow and the Spark components share the answer).
 */
export function sparkEnv(cfg: StackConfig, log: string): Promise<SparkEnv> {
  resolved ??= new Promise<SparkEnv>((resolvePromise, reject) => {
    const script = join(cfg.repoRoot, 'spark-jobs', 'scripts', 'ensure-env.sh');
    const fd = openSync(log, 'a');
    const child = spawn(
      'bash',
      [
        '-c',
        `source "${script}" >&2 && printf '%s\\n%s\\n' "$SPARKFLOW_PYTHON" "$SPARKFLOW_SPARK_JARS" && "$SPARKFLOW_PYTHON" -c "${FIND_PYSPARK}"`,
      ],
      { env: { ...process.env, SPARKFLOW_CACHE: cfg.cache }, stdio: ['ignore', 'pipe', fd] },
    );
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', (err) => {
      closeSync(fd);
      reject(new SetupError(`${script}: ${err.message}`));
    });
    child.on('close', (code) => {
      closeSync(fd);
      const [python, jars, sparkHome] = out.trim().split('\n');
      if (code !== 0 || !python || !jars || !sparkHome || !existsSync(python)) {
        reject(new SetupError(`${script} failed (exit ${code}); see ${log}`));
        return;
      }
      resolvePromise({ python, bin: dirname(python), jars, sparkHome });
    });
  });
  return resolved;
}

/** The master the stack's Spark jobs (and Airflow's `sparkflow_spark` connection) use. */
export const sparkMasterUrl = (cfg: StackConfig) =>
  cfg.SPARK_MASTER_URL ?? `spark://127.0.0.1:${cfg.SPARK_MASTER_PORT}`;
