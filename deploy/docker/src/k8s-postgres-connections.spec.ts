import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { AUDIT_POOL_MAX } from '@sparkflow/audit-store';
import { BACKFILL_POOL_MAX } from '@sparkflow/backfill-store';
import { IDEMPOTENCY_POOL_MAX } from '@sparkflow/idempotency-store';
import { RATE_LIMIT_POOL_MAX } from '@sparkflow/rate-limit-store';
import { appConfig } from './app-config-keys';
import { REPO_ROOT } from './compose-file';

/**
 * Every client of the Kubernetes deployment's PostgreSQL at its most, against the `max_connections`
 * deploy/k8s/README.md tells the operator to give it: each Deployment at its HPA's maxReplicas, plus
 * its rollout's surge pod and one pod still terminating, each holding its whole POSTGRES_POOL_MAX (the
 * manifest's, or the app's default where the manifest sets none), plus the clients that are not ours to
 * size from here (README.md's table).
 */
const K8S = join(REPO_ROOT, 'deploy', 'k8s');
const README = readFileSync(join(K8S, 'README.md'), 'utf8');
const APPS = ['ingestion', 'enrichment', 'persistence', 'audit'];

/** PostgreSQL's default `superuser_reserved_connections`: slots only a superuser may take. */
const SUPERUSER_RESERVED = 3;

/** The clients that are not these Deployments, each at its most at once (README.md, PostgreSQL connections). */
const OTHERS: Record<string, number> = {
  // The official chart's PgBouncer: metadataPoolSize 10 + resultBackendPoolSize 5 server connections.
  'Airflow metadata database': 15,
  // users_daily_aggregates' check_rows (max_active_runs 1): one PostgresHook connection.
  'Airflow sparkflow_analytics connection': 1,
  // daily_user_aggregates writes through one psycopg connection of its driver: the DAG's run, and one
  // SparkApplication run on a schedule of its own.
  'Spark jobs': 2,
  // provisionPostgres and its migrations: one connection at a time (`max: 1`).
  'bootstrap Job': 1,
  // psql, a metrics exporter, the PostgreSQL operator's own non-superuser checks.
  'operators and monitoring': 5,
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { key: string }; secretKeyRef?: { key: string } };
}
interface Doc {
  kind: string;
  data?: Record<string, string>;
  spec: {
    maxReplicas?: number;
    strategy?: { rollingUpdate?: { maxSurge?: number | string } };
    template?: { spec: { containers: { env: EnvVar[] }[] } };
  };
}
const docs = (file: string) =>
  parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => d.toJS() as Doc);
const configMap = docs('config.yaml').find((d) => d.kind === 'ConfigMap')!.data ?? {};

/** Pods of a Deployment at once, at most: the HPA's maxReplicas, the rollout's surge, one still terminating. */
function podsAtMost(deployment: Doc, maxReplicas: number): number {
  const surge = deployment.spec.strategy?.rollingUpdate?.maxSurge ?? '25%';
  const surgePods =
    typeof surge === 'number' ? surge : Math.ceil((maxReplicas * Number.parseInt(surge, 10)) / 100);
  return maxReplicas + surgePods + 1;
}

/** What each Deployment's pods hold at most: its pods at most × its POSTGRES_POOL_MAX (0: no PostgreSQL). */
async function deploymentConnections(app: string) {
  const all = docs(`${app}.yaml`);
  const deployment = all.find((d) => d.kind === 'Deployment')!;
  const maxReplicas = all.find((d) => d.kind === 'HorizontalPodAutoscaler')!.spec.maxReplicas!;
  const values: Record<string, string> = {};
  for (const e of deployment.spec.template!.spec.containers[0].env) {
    const ref = e.valueFrom?.configMapKeyRef;
    values[e.name] = ref ? configMap[ref.key] : (e.value ?? 'from-a-secret');
  }
  const config = await appConfig(app, values);
  const perPod = config['POSTGRES_HOST'] === undefined ? 0 : Number(config['POSTGRES_POOL_MAX']);
  const pods = podsAtMost(deployment, maxReplicas);
  return { app, pods, perPod, connections: pods * perPod, setInManifest: 'POSTGRES_POOL_MAX' in values };
}

const stated = (pattern: RegExp, what: string) => {
  const m = pattern.exec(README);
  if (!m) throw new Error(`deploy/k8s/README.md states no ${what} (${pattern})`);
  return Number(m[1]);
};

describe('deploy/k8s PostgreSQL connections', () => {
  it("every app that connects to PostgreSQL has a POSTGRES_POOL_MAX, its stores' pools by default", async () => {
    const defaults: Record<string, unknown> = {};
    for (const app of APPS) {
      const config = await appConfig(app, {});
      if (config['POSTGRES_HOST'] !== undefined) defaults[app] = config['POSTGRES_POOL_MAX'];
    }
    expect(defaults).toEqual({
      ingestion: BACKFILL_POOL_MAX + IDEMPOTENCY_POOL_MAX + RATE_LIMIT_POOL_MAX,
      audit: AUDIT_POOL_MAX,
    });
  });

  it('fit the max_connections README.md states, with every HPA at maxReplicas and every pool full', async () => {
    const maxConnections = stated(/`max_connections: (\d+)`/, 'max_connections');
    const deployments = await Promise.all(APPS.map(deploymentConnections));
    const ours = deployments.reduce((sum, d) => sum + d.connections, 0);
    const others = Object.values(OTHERS).reduce((a, b) => a + b, 0);
    const worstCase = ours + others;
    // The arithmetic README.md gives is the one these manifests make.
    expect({ worstCase, stated: stated(/worst case is \*\*(\d+)\*\* connections/, 'worst case') }).toEqual({
      worstCase,
      stated: worstCase,
    });
    expect({
      deployments: deployments.filter((d) => d.perPod > 0),
      others: OTHERS,
      worstCase,
      forNonSuperusers: maxConnections - SUPERUSER_RESERVED,
      fits: worstCase <= maxConnections - SUPERUSER_RESERVED,
    }).toMatchObject({ fits: true });
  });
});
