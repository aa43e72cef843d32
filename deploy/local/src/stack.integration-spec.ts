import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readState } from './supervisor/supervisor-state';
import { runStack as stack } from './testing/run-stack';

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const processesUsing = (marker: string) =>
  spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);

/**
 * Drives the real `stack` command against a second, throw-away Kafka (its own data folder and ports),
 * so the shared stack the other integration tests use is never touched.
 */
// Ports of its own, offset from the stack's KAFKA_PORT, so two stacks on one machine run it side by side.
const KAFKA_PORT = Number(process.env['KAFKA_PORT'] ?? 9092) + 1100;

describe('npm run stack (bad setups and recovery)', () => {
  const home = mkdtempSync(join(tmpdir(), 'sparkflow-stack-it-'));
  const env = {
    SPARKFLOW_HOME: home,
    KAFKA_PORT: String(KAFKA_PORT),
    KAFKA_CONTROLLER_PORT: String(KAFKA_PORT + 1),
  };

  afterAll(async () => {
    await stack(['down'], env);
    rmSync(home, { recursive: true, force: true });
  });

  it('rejects a malformed setting with exit code 2, naming the variable', async () => {
    const run = await stack(['up', 'kafka'], { ...env, KAFKA_PORT: 'ninety-two' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('KAFKA_PORT');
  });

  it('rejects an unknown component with exit code 2', async () => {
    const run = await stack(['up', 'zookeeper'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown component "zookeeper"');
  });

  it('says how to get Java when there is none', async () => {
    const run = await stack(['up', 'kafka'], { ...env, JAVA_HOME: join(home, 'no-such-jdk') });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Java 17 or newer is required.*JAVA_HOME=.*no-such-jdk has no bin\/java/);
  });

  it('names the component and the port when the port is taken', async () => {
    const squatter = await listenOn(KAFKA_PORT);
    try {
      const run = await stack(['up', 'kafka'], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`kafka: port ${KAFKA_PORT} is already in use`);
    } finally {
      squatter.close();
    }
  });

  it('names the component, the time limit and the log when it is not healthy in time, and leaves nothing behind on down', async () => {
    const run = await stack(['up', 'kafka'], { ...env, KAFKA_START_TIMEOUT_S: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/kafka: not healthy within 1s/);
    expect(run.stderr).toContain(join(home, 'logs', 'kafka.log'));
    await stack(['down', 'kafka'], env);
    expect(processesUsing(home)).toEqual([]);
  });

  it('starts, reports status, and after its data folder is damaged fails clearly until reset fixes it', async () => {
    const first = await stack(['up', 'kafka'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`kafka: healthy on port ${KAFKA_PORT}`);
    expect(first.stdout).toContain('created topic users.raw');

    const again = await stack(['up', 'kafka'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/kafka: already running/);

    const status = await stack(['status', 'kafka', '--json'], env);
    const [row] = JSON.parse(status.stdout) as {
      component: string;
      port: number;
      pid: number;
      state: string;
    }[];
    expect(row).toMatchObject({ component: 'kafka', port: KAFKA_PORT, state: 'healthy' });
    expect(row.pid).toBeGreaterThan(0);

    expect((await stack(['down', 'kafka'], env)).code).toBe(0);
    expect(processesUsing(home)).toEqual([]);

    const meta = join(home, 'kafka', 'data', 'meta.properties');
    // A log dir that belongs to another node: Kafka refuses to start on it.
    writeFileSync(meta, readFileSync(meta, 'utf8').replace(/node\.id=\d+/, 'node.id=99'));
    const broken = await stack(['up', 'kafka'], env);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/kafka: the process \(pid \d+\) exited during start-up/);
    expect(broken.stderr).toContain('npm run stack -- reset kafka');

    expect((await stack(['reset', 'kafka'], env)).code).toBe(0);
    const fixed = await stack(['up', 'kafka'], env);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain(`kafka: healthy on port ${KAFKA_PORT}`);
  });
});

interface StatusRow {
  component: string;
  pid: number | null;
  state: string;
  detail: string;
  supervision?: { supervisorPid: number; restarts: number; crashLooping: boolean; lastExit: string | null };
}

describe('npm run stack (supervised services)', () => {
  const home = mkdtempSync(join(tmpdir(), 'sparkflow-supervisor-it-'));
  const env = {
    SPARKFLOW_HOME: home,
    KAFKA_PORT: String(KAFKA_PORT + 100),
    KAFKA_CONTROLLER_PORT: String(KAFKA_PORT + 101),
    ENRICHMENT_HTTP_PORT: String(KAFKA_PORT + 102),
    SERVICE_RESTART_INITIAL_MS: '500',
  };
  const statusOf = async (component: string): Promise<StatusRow> => {
    const run = await stack(['status', component, '--json'], env);
    return (JSON.parse(run.stdout) as StatusRow[])[0];
  };
  /** Asks `stack status` once a second until `done` holds; the last row either way. */
  const statusUntil = async (component: string, done: (r: StatusRow) => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    let row = await statusOf(component);
    while (!done(row) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      row = await statusOf(component);
    }
    return row;
  };

  beforeAll(async () => {
    const run = await stack(['up', 'kafka'], env);
    if (run.code !== 0) throw new Error(`kafka did not start:\n${run.stdout}${run.stderr}`);
  });

  afterAll(async () => {
    await stack(['down'], env);
    rmSync(home, { recursive: true, force: true });
  });

  it('restarts a service killed with SIGKILL under a new pid, counts one restart, and does not count `down` as one', async () => {
    const up = await stack(['up', 'enrichment'], env);
    expect(up.code).toBe(0);
    const before = await statusOf('enrichment');
    expect(before).toMatchObject({ state: 'healthy', supervision: { restarts: 0, crashLooping: false } });
    const pid = before.pid ?? 0;
    expect(pid).toBeGreaterThan(0);

    process.kill(pid, 'SIGKILL');
    const after = await statusUntil('enrichment', (r) => r.state === 'healthy' && r.pid !== pid, 90_000);
    expect(after.state).toBe('healthy');
    expect(after.pid).not.toBe(pid);
    expect(after.supervision).toMatchObject({
      supervisorPid: before.supervision?.supervisorPid,
      restarts: 1,
      crashLooping: false,
    });
    expect(after.supervision?.lastExit).toMatch(/^signal SIGKILL at /);
    // The supervisor's lines share the service's log, in its format: one level filter reads both.
    const lines = readFileSync(join(home, 'logs', 'enrichment.log'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: unknown; service?: string; msg?: string });
    const supervisor = lines.filter((l) => l.service === 'supervisor');
    expect(supervisor.map((l) => l.msg)).toContainEqual(expect.stringMatching(/SIGKILL/));
    expect(lines.filter((l) => ![30, 40, 50, 60].includes(l.level as number))).toEqual([]);
    const text = await stack(['status', 'enrichment'], env);
    expect(text.stdout).toMatch(/enrichment +healthy .* restarts 1 /);

    expect((await stack(['down', 'enrichment'], env)).code).toBe(0);
    expect(readState(join(home, 'run', 'enrichment.state.json'))).toMatchObject({
      state: 'stopped',
      restarts: 1,
    });
    expect(processesUsing(join(home, 'enrichment'))).toEqual([]);
  });

  it('stops a service that refuses its settings instead of restarting it: `up` exits 2 naming the setting, and takes new settings on the next `up`', async () => {
    const up = await stack(['up', 'enrichment'], { ...env, KAFKA_COMPRESSION: 'bogus' });
    expect(up.code).toBe(2);
    expect(up.stderr).toContain('enrichment: refused its settings');
    expect(up.stderr).toMatch(/KAFKA_COMPRESSION: Invalid option: expected one of "none"\|"gzip"/);
    // Its supervisor stopped with it: nothing keeps starting it with the settings it refused.
    expect(processesUsing(join(home, 'enrichment'))).toEqual([]);
    const row = await statusOf('enrichment');
    expect(row).toMatchObject({ state: 'stopped', pid: null });
    expect(row.detail).toContain('refused its settings');
    expect(readState(join(home, 'run', 'enrichment.state.json'))).toMatchObject({
      state: 'refused-settings',
      lastExit: { code: 78 },
    });

    const fixed = await stack(['up', 'enrichment'], env);
    expect(fixed.code).toBe(0);
    expect((await statusOf('enrichment')).state).toBe('healthy');
    expect((await stack(['down', 'enrichment'], env)).code).toBe(0);
  });

  it('reports a service that exits at once on every start as crash-looping, in `up` and in `status`', async () => {
    // Node itself fails before the service runs (a preload that is not there): exit code 1 on every start.
    const badEnv = { ...env, SERVICE_NODE_ARGS: `--require=${join(home, 'no-such-preload.js')}` };
    const up = await stack(['up', 'enrichment'], badEnv);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/enrichment: crash-looping: \d+ restarts within 5 min, last exit code 1/);
    // Node's own error, as it printed it (coloured when the test runner sets FORCE_COLOR).
    expect(up.stderr).toContain('MODULE_NOT_FOUND');

    const row = await statusOf('enrichment');
    expect(row.state).toBe('unhealthy');
    expect(row.supervision?.crashLooping).toBe(true);
    expect(row.supervision?.restarts).toBeGreaterThanOrEqual(3);
    const text = await stack(['status', 'enrichment'], env);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('crash-looping');

    expect((await stack(['down', 'enrichment'], env)).code).toBe(0);
    expect(processesUsing(join(home, 'enrichment'))).toEqual([]);
  });
});
