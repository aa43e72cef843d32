import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_EXAMPLE, REPO_ROOT, loadRawCompose, parseDotEnv } from './compose-file';

/**
 * The Airflow image holds what `users_daily_aggregates` needs to spark-submit its job from the task's
 * container, the same things the native stack's Airflow is given (deploy/local/src/components/airflow.ts):
 * spark-jobs' venv with pyspark's spark-submit, a JVM, the connector jars and the settings naming them.
 * Read without a Docker engine: the Dockerfile's instructions against the files they name.
 */
const DOCKERFILE = join(REPO_ROOT, 'deploy', 'docker', 'airflow', 'Dockerfile');
const read = (...path: string[]) => readFileSync(join(REPO_ROOT, ...path), 'utf8');

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
const instructions = (text: string) =>
  text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'));

/** The instructions of each stage, by its name (the last, unnamed one is `final`). */
function stages(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current = '';
  for (const line of instructions(text)) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out[(current = from[1] ?? 'final')] = [];
    else if (current) out[current].push(line);
  }
  return out;
}

/** `KEY=value` pairs of a stage's ENV instructions (values in double quotes kept whole). */
const envOf = (stage: string[]) =>
  Object.fromEntries(
    stage
      .filter((l) => /^ENV\s/.test(l))
      .flatMap((l) => [...l.replace(/^ENV\s+/, '').matchAll(/(\w+)=("[^"]*"|\S+)/g)])
      .map(([, k, v]) => [k, v.replace(/^"(.*)"$/, '$1')]),
  );

const argDefault = (text: string, name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(text)?.[1];

describe('the Airflow image (deploy/docker/airflow/Dockerfile)', () => {
  const text = readFileSync(DOCKERFILE, 'utf8');
  const byStage = stages(text);
  const final = byStage['final'];
  const env = envOf(final);

  it("installs spark-jobs' own requirements into a venv of its own, whose pyspark is SPARK_HOME", () => {
    const venvRun = final.find((l) => l.includes('spark-jobs/requirements.txt') && l.startsWith('RUN'));
    expect(venvRun).toMatch(
      /python -m venv \/opt\/airflow\/spark-venv .*\/opt\/airflow\/spark-venv\/bin\/pip install .*-r \/tmp\/spark-jobs\/requirements\.txt/,
    );
    expect(final).toContain('COPY spark-jobs/requirements.txt /tmp/spark-jobs/requirements.txt');
    expect(env['PYSPARK_PYTHON']).toBe('/opt/airflow/spark-venv/bin/python');
    expect(venvRun).toContain('import os, pyspark; print(os.path.dirname(pyspark.__file__))');
    expect(venvRun).toContain(`/opt/airflow/spark-home`);
    expect(env['SPARK_HOME']).toBe('/opt/airflow/spark-home');
  });

  it('installs what the jobs import and none of the tools only their tests import', () => {
    // Top-level modules a folder's Python files import, the jobs' own package and the tests' left out.
    const imported = (folder: string) => {
      const files = readdirSync(join(REPO_ROOT, 'spark-jobs', folder), { recursive: true, encoding: 'utf8' });
      const modules = files
        .filter((f) => f.endsWith('.py'))
        .flatMap((f) => [...read('spark-jobs', folder, f).matchAll(/^\s*(?:from|import)\s+([A-Za-z_]\w*)/gm)])
        .map((m) => m[1]);
      return new Set(modules.filter((m) => !['sparkflow_jobs', 'tests', 'conftest'].includes(m)));
    };
    const jobs = imported('src');
    const testsOnly = [...imported('tests')].filter((m) => !jobs.has(m));
    expect(testsOnly).toEqual(expect.arrayContaining(['pytest', 'chispa']));
    const pinned = [...read('spark-jobs', 'requirements.txt').matchAll(/^([A-Za-z][\w.-]*)/gm)].map((m) =>
      m[1].toLowerCase().replace(/-/g, '_'),
    );
    expect(pinned).toEqual(expect.arrayContaining(['pyspark', 'cassandra_driver']));
    expect(pinned.filter((p) => testsOnly.includes(p))).toEqual([]);
    // The native venv has the tests' tools on top, from a file the image never copies.
    expect(read('spark-jobs', 'requirements-test.txt')).toMatch(/^-r requirements\.txt$/m);
    expect(text).not.toContain('requirements-test');
  });

  it('puts spark-submit, and only it, on PATH after Airflow’s own programs', () => {
    expect(env['PATH']).toBe('${PATH}:/opt/airflow/spark-bin');
    const run = final.find((l) => l.includes('spark-bin')) ?? '';
    expect(
      [...run.matchAll(/ln -s (\S+) \/opt\/airflow\/spark-bin\/(\S+)/g)].map((m) => [m[1], m[2]]),
    ).toEqual([['/opt/airflow/spark-home/bin/spark-submit', 'spark-submit']]);
  });

  it('resolves the connector jars from the pom spark-jobs uses natively, with the same flags, into SPARKFLOW_SPARK_JARS', () => {
    const jars = byStage['spark-jars'];
    expect(jars).toContain('COPY deploy/local/spark/pom.xml /tmp/spark/pom.xml');
    const mvn = jars.find((l) => l.startsWith('RUN mvn')) ?? '';
    expect(mvn).toContain('dependency:copy-dependencies');
    expect(mvn).toContain('-DoutputDirectory=/opt/spark-jars');
    // ensure-env.sh's flags: only the jars the pom lists.
    expect(read('spark-jobs', 'scripts', 'ensure-env.sh')).toContain('-DexcludeTransitive=true');
    expect(mvn).toContain('-DexcludeTransitive=true');
    expect(final).toContain('COPY --from=spark-jars /opt/spark-jars /opt/spark-jars');
    expect(env['SPARKFLOW_SPARK_JARS']).toBe('/opt/spark-jars');
  });

  it("runs the Spark master's and worker's JVM, of the Spark version pyspark is pinned at", () => {
    expect(final).toContain('COPY --from=spark /opt/java/openjdk /opt/java/openjdk');
    expect(env['JAVA_HOME']).toBe('/opt/java/openjdk');
    const pyspark = /^pyspark==(\S+)$/m.exec(read('spark-jobs', 'requirements.txt'))?.[1];
    expect(pyspark).toMatch(/^\d+\.\d+\.\d+$/);
    expect(/<spark\.version>([^<]+)</.exec(read('deploy', 'local', 'spark', 'pom.xml'))?.[1]).toBe(pyspark);
    const sparkVersion = parseDotEnv(readFileSync(ENV_EXAMPLE, 'utf8'))['SPARK_VERSION'];
    expect(sparkVersion.startsWith(`${pyspark}-`)).toBe(true);
    expect(argDefault(text, 'SPARK_IMAGE')).toBe(`apache/spark:${sparkVersion}`);
    // Compose builds it from the image its master and worker run.
    const compose = loadRawCompose() as unknown as Record<
      string,
      { build?: { args?: Record<string, string> } }
    >;
    const master = (loadRawCompose().services['spark-master'] as { image: string }).image;
    expect(compose['x-airflow'].build?.args?.['SPARK_IMAGE']).toBe(master);
  });

  it('has every file it copies from the repository in its build context', () => {
    const ignore = read('deploy', 'docker', 'airflow', 'Dockerfile.dockerignore').split('\n');
    const included = new Set(ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1)));
    expect(ignore[0]).toBe('**');
    const copied = Object.values(byStage)
      .flat()
      .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(copied.length).toBeGreaterThanOrEqual(4);
    expect(copied.filter((f) => !included.has(f))).toEqual([]);
  });
});
