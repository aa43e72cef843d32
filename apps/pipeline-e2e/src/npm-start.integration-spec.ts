import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { syntheticBatchId } from '@sparkflow/contracts';
import { generateUsers } from '@sparkflow/sources';
import { plainRow, uniqueName } from '@sparkflow/testing';
import { AUDIT, AUDIT_HEADERS, cassandra } from './pipeline-client';

/** The repository's root, where a user types `npm start`. */
const ROOT = resolve(__dirname, '..', '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `command args` from the repository's root, where a user types it, with the test's environment. */
function fromRoot(command: string, args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: ROOT, env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** `npm start -- <args>` as a user runs it, against the stack already up. */
const npmStart = (args: string[]) => fromRoot('npm', ['start', '--silent', '--', ...args]);

/** `npx <args>`, as the summary tells the user to run it. */
const npx = (args: string[]) => fromRoot('npx', args);

/** The number the summary prints after `label` (`  persisted       400   (Cassandra …)`). */
const summaryCount = (stdout: string, label: string): number | null => {
  const m = new RegExp(`^ {2}${label} +(\\d+)`, 'm').exec(stdout);
  return m ? Number(m[1]) : null;
};

/**
 * The README's first command, along the path a user takes: `npm start` brings the stack up (already up
 * here), sends N synthetic users of a seed, follows the batch and prints the audit's account. Its promises:
 * the account is the audit's and every user of the seed is in Cassandra; the same seed and size again is the
 * same batch, which changes no cell and no count and says so; a malformed option is refused naming it.
 */
describe('npm start', () => {
  const users = 400;
  const seed = uniqueName('npm-start');
  const batchId = syntheticBatchId(seed, 1, users);
  const ids = generateUsers({ seed, page: 1, from: 0, count: users }).map((u) => u.login.uuid);
  const client = cassandra();
  afterAll(() => client.shutdown());

  /** Every column of every user of the seed, by user id. */
  const rowsOfSeed = async () => {
    const rows = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < ids.length; i += 100) {
      const rs = await client.execute('SELECT * FROM users WHERE user_id IN ?', [ids.slice(i, i + 100)], {
        prepare: true,
      });
      for (const row of rs.rows) rows.set(String(row['user_id']), plainRow(row));
    }
    return rows;
  };
  const auditBatch = async () =>
    (
      await fetch(`${AUDIT}/v1/batches/${encodeURIComponent(batchId)}`, { headers: AUDIT_HEADERS })
    ).json() as Promise<Record<string, unknown>>;

  let first: Map<string, Record<string, unknown>>;

  it('runs a seed end to end and prints the audit account of its batch, every user in Cassandra', async () => {
    const run = await npmStart(['--users', String(users), '--seed', seed]);
    expect(run.stderr).not.toContain('sparkflow:');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`SparkFlow run complete — batch ${batchId}`);
    // Progress was shown while the batch settled (a line every 2 s and the last one, off a terminal).
    expect(run.stdout).toContain(`${users}/${users} settled`);

    const batch = await auditBatch();
    expect(batch['complete']).toBe(true);
    for (const label of ['ingested', 'enriched', 'persisted', 'dead-lettered'] as const) {
      const field = label === 'dead-lettered' ? 'deadLettered' : label;
      expect({ label, printed: summaryCount(run.stdout, label) }).toEqual({ label, printed: batch[field] });
    }
    expect(batch['persisted']).toBe(users);
    expect(run.stdout).toMatch(/throughput +\d[\d,.]* users\/s/);
    expect(run.stdout).toMatch(/latency +p50 \d+ ms · p95 \d+ ms · p99 \d+ ms/);

    first = await rowsOfSeed();
    expect([...first.keys()].sort()).toEqual([...ids].sort());
    // The look-up it prints names one of the seed's users, and the CLI answers it.
    const sample = /npx sparkflow users get ([0-9a-f-]{36})/.exec(run.stdout)?.[1];
    expect(ids).toContain(sample);
    const lookUp = await npx(['sparkflow', '--json', 'users', 'get', String(sample)]);
    expect(lookUp.code).toBe(0);
    expect(JSON.stringify(JSON.parse(lookUp.stdout))).toContain(String(sample));
  });

  it('runs the same seed and size again as the same batch: no cell and no count changes, and it says so', async () => {
    expect(first?.size).toBe(users);
    const before = await auditBatch();
    const run = await npmStart(['--users', String(users), '--seed', seed]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`SparkFlow run repeated — batch ${batchId}`);
    expect(run.stdout).toContain('timing          not measured');
    expect(summaryCount(run.stdout, 'persisted')).toBe(users);

    const after = await auditBatch();
    for (const field of ['ingested', 'enriched', 'persisted', 'deadLettered', 'complete'])
      expect({ field, value: after[field] }).toEqual({ field, value: before[field] });
    const rows = await rowsOfSeed();
    const changed = ids.filter((id) => JSON.stringify(rows.get(id)) !== JSON.stringify(first.get(id)));
    expect(changed).toEqual([]);
  });

  it.each([
    [['--users', '0'], '--users takes a whole number of users above 0, got "0"'],
    [['--users', 'ten'], '--users takes a whole number of users above 0, got "ten"'],
    [['--timeout', '0'], '--timeout takes a whole number of seconds above 0, got "0"'],
    [['--timeout'], '--timeout takes a whole number of seconds above 0, got nothing'],
    [['--seed', '--users', '5'], '--seed takes a seed (any text not starting with --), got "--users"'],
    [['--user', '5'], 'unknown option "--user"'],
  ])('refuses %j with exit code 2, naming the option, before starting anything', async (args, problem) => {
    const run = await npmStart(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`npm start: ${problem}`);
    expect(run.stderr).toContain('Usage: npm start');
    expect(run.stdout).toBe('');
  });

  it('answers --help with its usage and exit code 0', async () => {
    const run = await npmStart(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: npm start -- [--users N] [--seed S] [--timeout SECONDS]');
  });
});
