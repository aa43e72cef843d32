import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { integrationSettings, uniqueName } from '@sparkflow/testing';
import { CLI_BIN, closedPort, eventually } from './cli-runner';

/**
 * `sparkflow top` in a real terminal: tmux runs it in a detached session of a chosen size, the test reads
 * the screen with capture-pane and quits with `q`, while the running stack (`npm run stack -- up`) takes
 * traffic and, for a while, has its enrichment frozen (SIGSTOP).
 */
const settings = integrationSettings();
const REPO = join(__dirname, '..', '..', '..');
const run = promisify(execFile);
const tmux = (...args: string[]) => run('tmux', args, { encoding: 'utf8' });
const SCREENS = join(settings.SPARKFLOW_HOME, 'top-screens');

/** The stack's variables, passed on the command tmux runs (its server may have another environment). */
const STACK_VARS = [
  'KAFKA_PORT',
  'KAFKA_BROKERS',
  'INGESTION_HTTP_PORT',
  'ENRICHMENT_HTTP_PORT',
  'PERSISTENCE_HTTP_PORT',
  'AUDIT_HTTP_PORT',
  'AUDIT_API_KEYS',
];

async function startTop(
  session: string,
  width: number,
  extraEnv: Record<string, string> = {},
  args: string[] = [],
) {
  const exitFile = join(tmpdir(), `${session}.exit`);
  const env = {
    ...Object.fromEntries(STACK_VARS.filter((k) => process.env[k]).map((k) => [k, process.env[k] ?? ''])),
    ...extraEnv,
  };
  const assignments = Object.entries(env)
    .map(([k, v]) => `${k}='${v}'`)
    .join(' ');
  const command = `env ${assignments} ${CLI_BIN} top ${args.join(' ')}; echo $? > ${exitFile}`;
  await tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', '30', command);
  return {
    screen: async () => (await tmux('capture-pane', '-p', '-t', session)).stdout,
    /** Presses q and resolves with top's exit code once it has gone (and the session with it). */
    quit: async () => {
      await tmux('send-keys', '-t', session, 'q');
      const code = await eventually(
        'top to exit',
        async () => (existsSync(exitFile) ? readFileSync(exitFile, 'utf8').trim() : null),
        15_000,
      );
      await eventually(
        'the session to end',
        async () =>
          tmux('has-session', '-t', session).then(
            () => null,
            () => true,
          ),
        15_000,
      );
      return Number(code);
    },
    kill: () => tmux('kill-session', '-t', session).catch(() => undefined),
  };
}

/** The stage rows of a screen, cells split where two or more spaces separate them. */
function stageRows(screen: string): Map<string, string[]> {
  const lines = screen.split('\n');
  const header = lines.findIndex((l) => l.startsWith('STAGE'));
  const rows = new Map<string, string[]>();
  for (const l of lines.slice(header + 1, header + 5)) {
    const cells = l.trim().split(/\s{2,}/);
    rows.set(cells[0], cells);
  }
  return rows;
}

async function synthetic(count: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${settings.INGESTION_HTTP_PORT}/v1/synthetic`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': settings.INGESTION_API_KEYS.split(',')[0].trim(),
    },
    body: JSON.stringify({ count, seed: uniqueName('top-it') }),
  });
  if (res.status !== 202) throw new Error(`synthetic answered ${res.status}`);
}

async function enrichmentPid(): Promise<number> {
  const { stdout } = await run(
    'bash',
    [join(REPO, 'deploy/local/bin/stack'), 'status', 'enrichment', '--json'],
    { encoding: 'utf8' },
  );
  const [row] = JSON.parse(stdout) as { pid: number | null }[];
  if (!row?.pid) throw new Error(`enrichment is not running: ${stdout}`);
  return row.pid;
}

function keep(name: string, screen: string): void {
  mkdirSync(SCREENS, { recursive: true });
  writeFileSync(join(SCREENS, `${name}.txt`), screen.trimEnd() + '\n');
}

describe('sparkflow top in a terminal', () => {
  it("shows every stage moving during a run, a frozen consumer's lag in seconds growing until it is STALLED, and quits on q", async () => {
    const top = await startTop(uniqueName('top-it'), 120, {}, ['--stall-after', '15']);
    let traffic = true;
    const load = (async () => {
      while (traffic) {
        await synthetic(400);
        await sleep(250);
      }
    })();
    let pid = 0;
    try {
      const moving = await eventually(
        'every stage with records/s above zero',
        async () => {
          const screen = await top.screen();
          const rows = stageRows(screen);
          const rates = ['ingestion', 'enrichment', 'persistence', 'audit'].map((s) =>
            Number(rows.get(s)?.[2] ?? 0),
          );
          return rates.every((r) => r > 0) ? screen : null;
        },
        90_000,
      );
      keep('running', moving);
      traffic = false;
      await load;

      pid = await enrichmentPid();
      process.kill(pid, 'SIGSTOP');
      await synthetic(200);
      const lagOf = (screen: string) => Number(stageRows(screen).get('enrichment')?.[4]);
      const first = await eventually(
        'enrichment lag in seconds',
        async () => {
          const screen = await top.screen();
          return lagOf(screen) > 0 ? screen : null;
        },
        60_000,
      );
      // Polled, not read once: a refresh may land mid-capture or show `?` while Kafka is slow to answer.
      const second = await eventually(
        'enrichment lag in seconds growing',
        async () => {
          const screen = await top.screen();
          return lagOf(screen) > lagOf(first) ? screen : null;
        },
        30_000,
      );
      expect(lagOf(second)).toBeGreaterThan(lagOf(first));
      const stalled = await eventually(
        'enrichment STALLED',
        async () => {
          const screen = await top.screen();
          return stageRows(screen).get('enrichment')?.[6]?.startsWith('STALLED') ? screen : null;
        },
        60_000,
      );
      expect(lagOf(stalled)).toBeGreaterThan(lagOf(second));
      expect(stageRows(stalled).get('enrichment')?.[2]).toBe('0.0');
      expect(stalled).toMatch(/^enrichment\s+no answer/m);
      keep('frozen', stalled);
    } finally {
      traffic = false;
      if (pid) process.kill(pid, 'SIGCONT');
      await load.catch(() => undefined);
      const code = await top.quit().catch(async (e: unknown) => {
        await top.kill();
        throw e;
      });
      expect(code).toBe(0);
    }
  });

  it('drops columns on a narrow terminal and says which component is down, still quitting on q', async () => {
    const closed = await closedPort();
    const top = await startTop(uniqueName('top-it-narrow'), 50, {
      KAFKA_PORT: '1',
      KAFKA_BROKERS: '',
      AUDIT_HTTP_PORT: String(closed),
    });
    try {
      const screen = await eventually(
        'a frame',
        async () => {
          const s = await top.screen();
          return s.includes('SERVICE') ? s : null;
        },
        30_000,
      );
      const lines = screen.split('\n');
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(50);
      expect(lines.find((l) => l.startsWith('STAGE'))).toMatch(/^STAGE\s+RECORDS\/S\s+LAG\s+LAG \(S\)/);
      expect(screen).not.toContain('FLOW');
      expect(screen).toContain('Kafka not reachable at 127.0.0.1:1');
      expect(screen).toMatch(/^audit\s+down/m);
      expect(screen).toMatch(/^enrichment\s+ready/m);
      expect(screen).toContain('batches in flight ?');
      expect(screen).toMatch(/^batches in flight: http:\/\/127\.0\.0\.1:\d+/m);
      keep('narrow-kafka-down', screen);
    } finally {
      expect(await top.quit()).toBe(0);
    }
  });
});
