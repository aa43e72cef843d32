import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { loadTelemetryConfig } from '@sparkflow/telemetry';
import { BootstrapEnv } from '../init/bootstrap.config';
import {
  COMPOSE_CLUSTER_FILE,
  COMPOSE_FILE,
  ENV_EXAMPLE,
  REPO_ROOT,
  composeVariables,
  environmentOf,
  interpolate,
  loadCompose,
  loadComposeStack,
  loadRawCompose,
  parseDotEnv,
  type ComposeFile,
  type ComposeService,
} from './compose-file';
import { appConfigKeys } from './app-config-keys';
import { nativeComponents, nativeDefault } from './native-components';

/**
 * No Docker engine runs on these machines, so the Compose file is checked statically: against the
 * Compose Specification's JSON Schema, against the apps' configuration schemas, and against the
 * native stack's component list, so the two stacks stay one design.
 */
const env = parseDotEnv(readFileSync(ENV_EXAMPLE, 'utf8'));
const raw = loadRawCompose();
const rawCluster = loadRawCompose(COMPOSE_CLUSTER_FILE);
const compose = loadCompose(env);
const services = Object.entries(compose.services);

/** Services that exist only in Compose, and why the native stack has no such process. */
const COMPOSE_ONLY: Record<string, string> = {
  init: '`npm run stack -- up` applies topics, ACLs, CQL and migrations itself after the engines answer',
  'kafka-users':
    '`npm run stack -- up` writes the SCRAM users at format time, or with kafka-configs for an older data folder',
  'kafka-ui': 'a browser view of topics; natively `npx sparkflow topics …` serves',
  jaeger: 'natively the services write spans to files (SPARKFLOW_TRACE_FILE)',
  prometheus: 'natively each service serves /metrics and `npx sparkflow topics describe` shows lag',
  grafana: 'a browser view of the metrics; natively `npx sparkflow` commands serve',
};

/** Native components that are several containers in Compose (natively one supervised process group). */
const SPLIT_COMPONENTS: Record<string, string[]> = {
  airflow: ['airflow-init', 'airflow-api-server', 'airflow-scheduler', 'airflow-dag-processor'],
};

/**
 * Variables Compose must set that no app schema declares yet, each with the library change it waits for.
 * The test fails once the schema has the key, so the entry is removed with the change.
 */
const PENDING_LIB_KEYS: Record<string, string> = {};

const built = services.filter(([, s]) => s.build?.dockerfile === 'deploy/docker/Dockerfile');

/** The single-node file alone, and the cluster topology merged over it, as `docker compose` would run them. */
const STACKS: [string, string, ComposeFile][] = [
  ['docker-compose.yml', COMPOSE_FILE, compose],
  ['docker-compose.yml + docker-compose.cluster.yml', COMPOSE_CLUSTER_FILE, loadComposeStack(env)],
];

describe.each(STACKS)('%s', (_name, file, stack) => {
  const stackServices = Object.entries(stack.services);
  const stackApps = stackServices.filter(
    ([name, s]) => s.build?.dockerfile === 'deploy/docker/Dockerfile' && name !== 'init',
  );

  it('is valid against the Compose Specification schema (bundled by dclint) once .env.example is interpolated', () => {
    const schemaPath = join(require.resolve('dclint'), '..', '..', 'schemas', 'compose.schema.json');
    // Its `$schema` is draft-07 under an https URL Ajv does not register; the keywords are plain draft-07.
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
    delete schema['$schema'];
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(stack);
    expect(
      ok
        ? []
        : (validate.errors ?? []).map(
            (e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
          ),
    ).toEqual([]);
  });

  it('passes dclint without errors (style warnings aside)', () => {
    const bin = join(REPO_ROOT, 'node_modules', '.bin', 'dclint');
    const run = spawnSync(bin, ['--quiet', file], { encoding: 'utf8' });
    expect({ status: run.status, output: `${run.stdout}${run.stderr}`.trim() }).toEqual({
      status: 0,
      output: '',
    });
  });

  it.each(['ingestion', 'enrichment', 'persistence', 'audit'])(
    'runs %s with environment keys its config schema declares',
    async (app) => {
      const entry = stackApps.find(([, s]) => s.build?.args?.['APP'] === app);
      expect(entry).toBeDefined();
      const values = environmentOf(entry![1]);
      const appKeys = await appConfigKeys(app, values);
      const telemetryKeys = new Set(Object.keys(loadTelemetryConfig(values)));
      const unknown = Object.keys(values).filter(
        (k) => !appKeys.has(k) && !telemetryKeys.has(k) && !(k in PENDING_LIB_KEYS),
      );
      expect(unknown).toEqual([]);
      // Defaults point at 127.0.0.1, which inside a container is the container itself: every address the app reads is set.
      for (const address of ['KAFKA_BROKERS', 'CASSANDRA_CONTACT_POINTS', 'POSTGRES_HOST']) {
        if (appKeys.has(address))
          expect({ app, address, set: address in values }).toEqual({ app, address, set: true });
      }
    },
  );

  it("runs the init service with its bootstrap's own variables", () => {
    const values = environmentOf(stack.services['init']);
    const declared = new Set(Object.keys(BootstrapEnv.shape));
    expect(Object.keys(values).filter((k) => !declared.has(k))).toEqual([]);
    expect(BootstrapEnv.safeParse(values).success).toBe(true);
  });

  it('waits on health: every long-running service has a healthcheck, and every service_healthy dependency has one', () => {
    const withoutCheck = new Set(['jaeger']); // its image has no shell or HTTP client to probe with
    const oneShot = (s: ComposeService) => s.restart === 'no';
    for (const [name, s] of stackServices) {
      if (oneShot(s) || withoutCheck.has(name)) continue;
      expect({ name, healthcheck: Boolean(s.healthcheck?.test) }).toEqual({ name, healthcheck: true });
    }
    for (const [name, s] of stackServices) {
      const deps = Array.isArray(s.depends_on) ? {} : (s.depends_on ?? {});
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect({ name, dep, defined: dep in stack.services }).toEqual({ name, dep, defined: true });
        if (condition === 'service_healthy')
          expect({ name, dep, healthcheck: Boolean(stack.services[dep].healthcheck?.test) }).toEqual({
            name,
            dep,
            healthcheck: true,
          });
        if (condition === 'service_completed_successfully')
          expect({ name, dep, oneShot: oneShot(stack.services[dep]) }).toEqual({
            name,
            dep,
            oneShot: true,
          });
      }
    }
  });

  it("keeps every engine node's data in a named volume of its own", () => {
    const engines = stackServices.filter(([, s]) =>
      ['apache/kafka', 'cassandra:', 'postgres:'].some((i) => s.image?.startsWith(i) && s.healthcheck),
    );
    const mounts = engines.map(([name, s]) => ({
      name,
      volume: (s.volumes ?? []).map((v) => v.split(':')[0]).find((m) => m in (stack.volumes ?? {})),
    }));
    expect(mounts.filter((m) => !m.volume)).toEqual([]);
    expect(new Set(mounts.map((m) => m.volume)).size).toBe(mounts.length);
  });
});

/** `KEY=value` of every ENV instruction in the Dockerfile's `runtime` stage, the image that runs. */
function runtimeEnv(dockerfile: string): string[] {
  const stage = dockerfile.split(/^FROM\s.*\bAS\s+runtime\s*$/m)[1]?.split(/^FROM\s/m)[0] ?? '';
  const instructions = stage
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'));
  return instructions
    .filter((line) => /^ENV\s/.test(line))
    .flatMap((line) =>
      line
        .replace(/^ENV\s+/, '')
        .trim()
        .split(/\s+/),
    );
}

describe('docker-compose.yml', () => {
  it('interpolates only variables .env.example declares, and .env.example declares none it does not use', () => {
    const used = new Set([...composeVariables(raw), ...composeVariables(rawCluster)]);
    expect([...used].filter((v) => !(v in env)).sort()).toEqual([]);
    expect(
      Object.keys(env)
        .filter((v) => !used.has(v))
        .sort(),
    ).toEqual([]);
    expect(() => interpolate(JSON.stringify(raw), {})).not.toThrow();
  });

  it('builds every service image from an existing app, with a Dockerfile that runs as a non-root user', () => {
    expect(built.length).toBeGreaterThanOrEqual(5);
    for (const [name, s] of built) {
      const app = s.build?.args?.['APP'];
      expect({
        name,
        app,
        exists: existsSync(join(REPO_ROOT, 'apps', String(app), 'src', 'main.ts')),
      }).toEqual({ name, app, exists: true });
    }
    const dockerfile = readFileSync(join(REPO_ROOT, 'deploy', 'docker', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG APP$/m);
    expect(dockerfile).toMatch(/^USER (?!root)\w+$/m);
    // The services' memory was measured with glibc's malloc set as the native stack sets it; the image
    // (Compose and Kubernetes) sets the same, in the stage that runs.
    const native = readFileSync(
      join(REPO_ROOT, 'deploy', 'local', 'src', 'components', 'service.ts'),
      'utf8',
    );
    const nativeMalloc = [...native.matchAll(/^\s*(MALLOC_\w+): '(\w+)',$/gm)].map(([, k, v]) => `${k}=${v}`);
    expect(nativeMalloc).toEqual(['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=131072']);
    expect(native.match(/\bMALLOC_\w+:/g)).toHaveLength(nativeMalloc.length);
    expect(runtimeEnv(dockerfile).filter((kv) => kv.startsWith('MALLOC_'))).toEqual(nativeMalloc);
    for (const text of [native, dockerfile]) expect(text).not.toMatch(/GLIBC_TUNABLES/);
    const init = compose.services['init'];
    expect(init.command).toEqual(['node', 'deploy/docker/init/bootstrap.js']);
    expect(existsSync(join(REPO_ROOT, 'deploy', 'docker', 'init', 'bootstrap.ts'))).toBe(true);
  });

  it("runs PostgreSQL with the native stack's settings, read from the same variables with the same defaults", () => {
    const settings = ['POSTGRES_SHARED_BUFFERS', 'POSTGRES_MAX_WAL_SIZE'].map((name) => ({
      name,
      native: nativeDefault(name),
      example: env[name],
    }));
    expect(settings.map((s) => s.native)).toEqual(['1GB', '4GB']);
    for (const s of settings) expect(s.example).toBe(s.native);
    const [sharedBuffers, maxWal] = settings.map((s) => `\${${s.name}:-${s.native}}`);
    expect(raw.services['postgres'].command).toEqual([
      'postgres',
      '-c',
      `shared_buffers=${sharedBuffers}`,
      '-c',
      `max_wal_size=${maxWal}`,
    ]);
  });

  it('has the components of the native stack, and only Compose-only extras besides', () => {
    const native = nativeComponents();
    expect(native).toEqual(
      expect.arrayContaining([
        'kafka',
        'cassandra',
        'postgres',
        'ingestion',
        'enrichment',
        'persistence',
        'audit',
      ]),
    );
    const names = Object.keys(compose.services);
    const expected = native.flatMap((c) => SPLIT_COMPONENTS[c] ?? [c]);
    expect(expected.filter((n) => !names.includes(n))).toEqual([]);
    expect(names.filter((n) => !expected.includes(n) && !(n in COMPOSE_ONLY))).toEqual([]);
  });
});
