// Prints, as JSON, the environment deploy/local gives the Airflow processes (settings, AIRFLOW_CONN_*),
// so the integration tests run DAGs with exactly the stack's configuration instead of a copy of it.
// Usage: tsx --tsconfig tsconfig.base.json airflow/scripts/stack-env.ts  (honours the stack's env overrides)
import { airflowEnv } from '../../deploy/local/src/components/airflow';
import { logFile } from '../../deploy/local/src/components/component';
import { sparkEnv } from '../../deploy/local/src/components/spark-env';
import { loadStackConfig } from '../../deploy/local/src/config';

async function main(): Promise<void> {
  const cfg = loadStackConfig();
  const env = airflowEnv(cfg, await sparkEnv(cfg, logFile(cfg, 'airflow')));
  const changed = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => v !== undefined && process.env[k] !== v),
  );
  process.stdout.write(`${JSON.stringify(changed)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
