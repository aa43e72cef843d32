import { randomUUID } from 'node:crypto';
import { integrationSettings, uniqueName } from '@sparkflow/testing';
import { eventually, runCli, runCliJson } from './cli-runner';

/**
 * `backfill cancel`: the real `sparkflow` command against the running stack's ingestion (`npm run stack --
 * up`, the same INGESTION_HTTP_PORT/… overrides for both), the backfill's state read back from ingestion's
 * own `GET /v1/backfills/:id`.
 */
const settings = integrationSettings();

interface Backfill {
  id: string;
  status: 'running' | 'produced' | 'failed' | 'cancelled';
  batches: { day: string; batchId: string; expected: number; produced: number }[];
}

/** Users a backfill produces at most after the cancel (ADR 22): the chunk its holder had in flight. */
const CHUNK = 500;

/** Ingestion's answer to `GET /v1/backfills/:id`, under its API key. */
async function backfillState(id: string): Promise<Backfill> {
  const res = await fetch(`http://127.0.0.1:${settings.INGESTION_HTTP_PORT}/v1/backfills/${id}`, {
    headers: { 'x-api-key': settings.INGESTION_API_KEYS.split(',')[0].trim() },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Backfill;
}

/** Starts a backfill of today (UTC) through the CLI, without following it: ingestion's 202 answer. */
const startBackfill = (perDay: number) => {
  const today = new Date().toISOString().slice(0, 10);
  return runCliJson<Backfill>([
    'backfill',
    '--from',
    today,
    '--to',
    today,
    '--per-day',
    String(perDay),
    '--seed',
    uniqueName('cli-cancel'),
    '--no-wait',
  ]);
};

const producedOf = (b: Backfill) => b.batches.reduce((n, x) => n + x.produced, 0);

describe('sparkflow backfill cancel on the running stack', () => {
  it('cancels a running backfill: exit 0, the backfill printed, and ingestion then says cancelled', async () => {
    // 100,000 people: far more than ingestion produces between the start and the cancel.
    const started = await startBackfill(100_000);
    expect(started.status).toBe('running');

    const r = await runCli(['backfill', 'cancel', started.id]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 0,
      stderr: expect.stringMatching(
        new RegExp(`^backfill ${started.id} cancelled after \\d+ of 100000 users`),
      ),
    });
    const shown = Object.fromEntries(
      r.stdout
        .split('\n')
        .slice(0, 4)
        .map((l) => l.split(/ {2,}/) as [string, string]),
    );
    expect(shown).toMatchObject({ backfill: started.id, status: 'cancelled' });
    const atCancel = Number(/^(\d+) of 100000 users$/.exec(shown['produced'])?.[1]);
    expect(atCancel).toBeLessThan(100_000);

    // Ingestion's own state: cancelled, and at most the chunk in flight produced since.
    const state = await backfillState(started.id);
    expect(state.status).toBe('cancelled');
    expect(producedOf(state)).toBeGreaterThanOrEqual(atCancel);
    expect(producedOf(state)).toBeLessThanOrEqual(atCancel + CHUNK);
    expect(producedOf(state)).toBeLessThan(100_000);

    // Cancelled again, through --json: the same backfill, still cancelled, exit 0.
    const again = await runCliJson<Backfill>(['backfill', 'cancel', started.id]);
    expect({ id: again.id, status: again.status }).toEqual({ id: started.id, status: 'cancelled' });
    expect((await backfillState(started.id)).status).toBe('cancelled');
  });

  it('exits 1 with ingestion’s message for a backfill that already ended, which stays as it was', async () => {
    const started = await startBackfill(1);
    await eventually('the one-user backfill produced', async () => {
      const state = await backfillState(started.id);
      return state.status === 'produced' ? state : null;
    });
    const r = await runCli(['backfill', 'cancel', started.id]);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `sparkflow: ingestion did not cancel backfill ${started.id}: CONFLICT: backfill ${started.id} is ` +
        'already produced: only a running backfill can be cancelled\n',
    });
    expect((await backfillState(started.id)).status).toBe('produced');
  });

  it('exits 1 with ingestion’s message for an id no backfill has, and 2 for one that is not a UUID', async () => {
    const id = randomUUID();
    const unknown = await runCli(['backfill', 'cancel', id, '--json']);
    expect({ code: unknown.code, stdout: unknown.stdout, stderr: unknown.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: `sparkflow: ingestion did not cancel backfill ${id}: NOT_FOUND: no backfill ${id}\n`,
    });
    const malformed = await runCli(['backfill', 'cancel', 'not-a-backfill']);
    expect({ code: malformed.code, stdout: malformed.stdout }).toEqual({ code: 2, stdout: '' });
  });
});
