import { backfillBatchId, type BatchCounts } from '@sparkflow/contracts';
import { loadCliConfig } from '../cli.config';
import { CliError, EXIT, UsageError } from '../errors';
import { runInProcess } from '../cli-runner';
import { backfillDays, runProgress, shellWord } from './backfill.command';

jest.mock('node:timers/promises', () => ({ setTimeout: () => Promise.resolve() }));

const counts = (c: Partial<BatchCounts> & Pick<BatchCounts, 'batchId'>): BatchCounts => ({
  source: 'backfill',
  expected: null,
  ingested: 0,
  enriched: 0,
  deadLettered: 0,
  persisted: 0,
  complete: false,
  ...c,
});

/**
 * Ingestion and the audit as the command sees them: `audit(batchId, polls)` answers the batch's counts on
 * its `polls`-th read since the backfill was requested (0 before it), null for 404.
 */
function fakeApis(
  audit: (batchId: string, polls: number) => BatchCounts | null,
  days: string[],
  seed: string,
  state: Record<string, unknown> = { id: 'b1', status: 'produced', batches: [] },
) {
  let requested = false;
  const polls = new Map<string, number>();
  const reads: { batchId: string; requested: boolean }[] = [];
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  jest.spyOn(global, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(String(input));
    if (url.pathname === '/v1/backfills' && init?.method === 'POST') {
      requested = true;
      return json(202, {
        id: 'b1',
        status: 'running',
        batches: days.map((day) => ({
          day,
          batchId: `backfill-${seed}-${day}`,
          expected: 300,
          produced: 0,
        })),
      });
    }
    if (url.pathname === '/v1/backfills/b1') return json(200, state);
    const batchId = decodeURIComponent(url.pathname.replace(/^\/v1\/batches\//, ''));
    const n = requested ? (polls.get(batchId) ?? 0) + 1 : 0;
    if (requested) polls.set(batchId, n);
    reads.push({ batchId, requested });
    if (reads.length > 1000) throw new Error(`the command kept asking for ${batchId}`);
    const c = audit(batchId, n);
    return c ? json(200, c) : json(404, { statusCode: 404, code: 'NOT_FOUND', message: 'no batch' });
  });
  return { reads };
}

/** `sparkflow [--json] backfill <args>` in this process: what it printed, and what it threw. */
const runBackfill = (args: string[], json = true) =>
  runInProcess([...(json ? ['--json'] : []), 'backfill', ...args]);

afterEach(() => jest.restoreAllMocks());

describe('sparkflow backfill', () => {
  const args = ['--from', '2026-11-05', '--to', '2026-11-05', '--per-day', '300', '--seed', 'again'];
  const batchId = 'backfill-again-2026-11-05';

  it("follows this run's events on top of what an earlier run of the same seed and day left", async () => {
    // The earlier run's 300 are complete in the audit; this run's arrive 100 per read.
    const { reads } = fakeApis(
      (id, polls) => {
        const n = 300 + Math.min(300, polls * 100);
        return counts({ batchId: id, expected: 300, ingested: n, enriched: n, persisted: n, complete: true });
      },
      ['2026-11-05'],
      'again',
    );
    const { stdout, error } = await runBackfill(args);
    expect(error).toBeUndefined();
    expect(reads[0]).toEqual({ batchId, requested: false });
    expect(reads.filter((r) => r.requested)).toHaveLength(3);
    expect(JSON.parse(stdout)).toMatchObject({
      complete: true,
      expected: 300,
      persisted: 300,
      deadLettered: 0,
      batches: [{ batchId, expected: 300, ingested: 300, persisted: 300, deadLettered: 0, complete: true }],
    });
  });

  it('exits 1 when people were dead-lettered, saying how many and the command that shows why', async () => {
    fakeApis(
      (id, polls) =>
        polls === 0
          ? null
          : counts({
              batchId: id,
              expected: 300,
              ingested: 300,
              persisted: 295,
              deadLettered: 5,
              complete: true,
            }),
      ['2026-11-05'],
      'again',
    );
    const { stdout, error } = await runBackfill(args);
    expect(JSON.parse(stdout)).toMatchObject({ complete: true, persisted: 295, deadLettered: 5 });
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.failure);
    expect((error as Error).message).toMatch(/5 of 300 users were dead-lettered, not stored/);
    expect((error as Error).message).toMatch(
      new RegExp(`sparkflow dlq list --batch ${batchId} --since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z`),
    );
  });

  it('exits 1 at once when the backfill was cancelled in ingestion, saying how many were produced', async () => {
    const cancelled = {
      id: 'b1',
      status: 'cancelled',
      batches: [{ day: '2026-11-05', batchId, expected: 300, produced: 100 }],
    };
    const { reads } = fakeApis(
      (id, polls) =>
        polls === 0 ? null : counts({ batchId: id, ingested: 100, enriched: 100, persisted: 100 }),
      ['2026-11-05'],
      'again',
      cancelled,
    );
    const { stdout, error } = await runBackfill([...args, '--timeout', '3600']);
    expect(JSON.parse(stdout)).toMatchObject({ complete: false, expected: 300, persisted: 100 });
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.failure);
    expect((error as Error).message).toBe(
      'backfill b1 was cancelled in ingestion after 100 of 300 users were produced: the rest never comes ' +
        '(those produced go on through the pipeline)',
    );
    // One look at the audit after the request, then ingestion's answer ends the wait.
    expect(reads.filter((r) => r.requested)).toHaveLength(1);
  });

  it('says when another run of the same batch was counted alongside this one', async () => {
    const twoRuns = () =>
      fakeApis(
        (id, polls) =>
          polls === 0
            ? null
            : counts({ batchId: id, expected: 300, ingested: 600, persisted: 600, complete: true }),
        ['2026-11-05'],
        'again',
      );
    twoRuns();
    const json = await runBackfill(args);
    expect(json.error).toBeUndefined();
    expect(JSON.parse(json.stdout).batches[0]).toMatchObject({
      expected: 300,
      ingested: 600,
      persisted: 600,
    });
    jest.restoreAllMocks();
    twoRuns();
    const text = await runBackfill(args, false);
    expect(text.stderr).toMatch(
      /backfill-again-2026-11-05: 300 more event\(s\) arrived than this run produced — another run of the same seed/,
    );
  });

  it.each([
    [
      'in the error model',
      {
        code: 'SCHEMA_INVALID',
        reasons: [
          { code: 'SCHEMA_INVALID', path: 'perDay', message: 'Too big: expected number to be <=100000' },
        ],
      },
    ],
    [
      'as an ingestion older than the error model',
      { errors: [{ path: 'perDay', message: 'Too big: expected number to be <=100000' }] },
    ],
  ])('names the option ingestion refused %s, as a usage error', async (_shape, faults) => {
    jest.spyOn(global, 'fetch').mockImplementation(async (_input, init) =>
      init?.method === 'POST'
        ? new Response(JSON.stringify({ statusCode: 400, message: 'bad request', ...faults }), {
            status: 400,
          })
        : new Response(JSON.stringify({ statusCode: 404, code: 'NOT_FOUND', message: 'no batch' }), {
            status: 404,
          }),
    );
    const { error } = await runBackfill([
      '--from',
      '2026-11-05',
      '--to',
      '2026-11-05',
      '--per-day',
      '100001',
    ]);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/--per-day: Too big/);
  });

  it('says a reason about the whole request (path "", or none) as its message alone, beside the options named', async () => {
    const reasons = [
      { code: 'MALFORMED_JSON', path: '', message: 'the body is not a JSON object' },
      { code: 'SCHEMA_INVALID', path: null, message: 'one more thing' },
      { code: 'SCHEMA_INVALID', path: 'perDay', message: 'Too big: expected number to be <=100000' },
    ];
    jest.spyOn(global, 'fetch').mockImplementation(async (_input, init) =>
      init?.method === 'POST'
        ? new Response(JSON.stringify({ statusCode: 400, code: 'MALFORMED_JSON', message: 'bad', reasons }), {
            status: 400,
          })
        : new Response(JSON.stringify({ statusCode: 404, code: 'NOT_FOUND', message: 'no batch' }), {
            status: 404,
          }),
    );
    const { error } = await runBackfill(['--from', '2026-11-05', '--to', '2026-11-05', '--per-day', '1']);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      'ingestion refused the backfill:\n' +
        '  the body is not a JSON object\n' +
        '  one more thing\n' +
        '  --per-day: Too big: expected number to be <=100000',
    );
  });

  it('refuses an empty --seed with the one reason that applies, before asking anything', async () => {
    const fetch = jest.spyOn(global, 'fetch');
    const { error } = await runBackfill([
      '--from',
      '2026-11-05',
      '--to',
      '2026-11-05',
      '--per-day',
      '1',
      '--seed',
      '',
    ]);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe('--seed "": expected a non-empty seed');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('refuses more days than ingestion takes before asking anything', async () => {
    const fetch = jest.spyOn(global, 'fetch');
    const { error } = await runBackfill(['--from', '0001-01-01', '--to', '9999-12-31', '--per-day', '1']);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/3652059 days; at most 366 per backfill/);
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe("a backfill batch's progress for this run", () => {
  const batch = { day: '2026-11-05', batchId: 'b', expected: 300 };

  it('is not complete while only an earlier run is counted, though the audit says complete', () => {
    const before = { ingested: 300, persisted: 300, deadLettered: 0 };
    const audit = counts({ batchId: 'b', expected: 300, ingested: 300, persisted: 300, complete: true });
    expect(runProgress(batch, before, audit)).toMatchObject({ ingested: 0, persisted: 0, complete: false });
  });

  it('waits for every event of the batch to settle, and is complete with what was dead-lettered', () => {
    const none = { ingested: 0, persisted: 0, deadLettered: 0 };
    expect(runProgress(batch, none, counts({ batchId: 'b', ingested: 300, persisted: 290 })).complete).toBe(
      false,
    );
    expect(
      runProgress(batch, none, counts({ batchId: 'b', ingested: 300, persisted: 290, deadLettered: 10 })),
    ).toMatchObject({ persisted: 290, deadLettered: 10, complete: true });
  });

  it("names each day's batch as ingestion does", () => {
    expect(backfillDays('2028-02-28', '2028-03-01')).toEqual(['2028-02-28', '2028-02-29', '2028-03-01']);
    expect(backfillBatchId('demo', '2026-11-01')).toBe('backfill-demo-2026-11-01');
  });

  it('quotes a batch id for the shell when it has to', () => {
    expect(shellWord('backfill-demo-2026-11-01')).toBe('backfill-demo-2026-11-01');
    expect(shellWord("backfill-it's me-2026-11-01")).toBe(`'backfill-it'\\''s me-2026-11-01'`);
  });
});

describe('sparkflow backfill cancel <backfillId>', () => {
  const ID = '0b4c6f3e-2a51-4d8e-9f7a-6c1d2e3b4a59';
  const cancelled = {
    id: ID,
    request: { from: '2026-11-05', to: '2026-11-06', perDay: 300, seed: 'again' },
    status: 'cancelled',
    attempts: 1,
    requestedAt: '2026-12-04T04:00:00.000Z',
    batches: [
      { day: '2026-11-05', batchId: 'backfill-again-2026-11-05', expected: 300, produced: 300 },
      { day: '2026-11-06', batchId: 'backfill-again-2026-11-06', expected: 300, produced: 100 },
    ],
  };
  const error = (status: number, code: string, message: string) => ({
    statusCode: status,
    code,
    message,
    reasons: [{ code, message, path: 'id' }],
  });

  /** Ingestion answering DELETE /v1/backfills/:id with `status` and `body`; the requests it was sent. */
  function ingestion(status: number, body: unknown) {
    const asked: { method: string; path: string; key: string | null }[] = [];
    jest.spyOn(global, 'fetch').mockImplementation(async (input, init) => {
      asked.push({
        method: init?.method ?? 'GET',
        path: new URL(String(input)).pathname,
        key: new Headers(init?.headers).get('x-api-key'),
      });
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    });
    return asked;
  }

  it('asks ingestion to DELETE the backfill, with its key, and prints what was cancelled', async () => {
    const asked = ingestion(202, cancelled);
    const { stdout, stderr, error: failed } = await runInProcess(['--no-color', 'backfill', 'cancel', ID]);
    expect(failed).toBeUndefined();
    expect(asked).toEqual([{ method: 'DELETE', path: `/v1/backfills/${ID}`, key: loadCliConfig().apiKey }]);
    const lines = stdout.split('\n');
    expect(lines.slice(0, 4).map((l) => l.split(/ {2,}/))).toEqual([
      ['backfill', ID],
      ['status', 'cancelled'],
      ['requested at', '2026-12-04T04:00:00.000Z'],
      ['produced', '400 of 600 users'],
    ]);
    expect(lines.slice(5, 8).map((l) => l.split(/\s+/))).toEqual([
      ['DAY', 'BATCH', 'EXPECTED', 'PRODUCED'],
      ['2026-11-05', 'backfill-again-2026-11-05', '300', '300'],
      ['2026-11-06', 'backfill-again-2026-11-06', '300', '100'],
    ]);
    expect(stderr).toBe(
      `backfill ${ID} cancelled after 400 of 600 users were produced; the chunk in flight may still add to ` +
        'them, and those produced go on through the pipeline\n',
    );
  });

  it('prints ingestion’s answer as the JSON document with --json, before or after the command', async () => {
    for (const args of [
      ['--json', 'backfill', 'cancel', ID],
      ['backfill', 'cancel', ID, '--json'],
    ]) {
      ingestion(202, cancelled);
      const { stdout, stderr, error: failed } = await runInProcess(args);
      expect({ failed, stderr }).toEqual({ failed: undefined, stderr: '' });
      expect(JSON.parse(stdout)).toEqual(cancelled);
      jest.restoreAllMocks();
    }
  });

  it('asks for an id given in capitals as ingestion names it', async () => {
    const asked = ingestion(202, cancelled);
    expect((await runInProcess(['--json', 'backfill', 'cancel', ID.toUpperCase()])).error).toBeUndefined();
    expect(asked.map((a) => a.path)).toEqual([`/v1/backfills/${ID}`]);
  });

  it.each([
    [
      409,
      error(409, 'CONFLICT', `backfill ${ID} is already produced: only a running backfill can be cancelled`),
      `CONFLICT: backfill ${ID} is already produced: only a running backfill can be cancelled`,
    ],
    [404, error(404, 'NOT_FOUND', `no backfill ${ID}`), `NOT_FOUND: no backfill ${ID}`],
  ])('exits 1 on %i with ingestion’s message, printing nothing on stdout', async (status, body, says) => {
    ingestion(status, body);
    for (const json of [false, true]) {
      const { stdout, error: failed } = await runInProcess([
        ...(json ? ['--json'] : []),
        'backfill',
        'cancel',
        ID,
      ]);
      expect(stdout).toBe('');
      expect(failed).toBeInstanceOf(CliError);
      expect((failed as CliError).exitCode).toBe(EXIT.failure);
      expect((failed as Error).message).toBe(`ingestion did not cancel backfill ${ID}: ${says}`);
    }
  });

  it('refuses an id that is not a UUID, and the options that start a backfill, before asking anything', async () => {
    const fetch = jest.spyOn(global, 'fetch');
    const cases: [string[], string][] = [
      [
        ['backfill', 'cancel', 'b1'],
        '<backfillId> "b1": expected a backfill id (printed by `sparkflow backfill`), a UUID',
      ],
      [
        ['backfill', 'cancel', ID, '--per-day', '5'],
        '--per-day is an option of `sparkflow backfill` (starting a backfill), not of `sparkflow backfill cancel`',
      ],
      [
        ['backfill', '--from', '2026-11-05', '--to', '2026-11-05', 'cancel', ID],
        '--from, --to are options of `sparkflow backfill` (starting a backfill), not of `sparkflow backfill cancel`',
      ],
    ];
    for (const [args, message] of cases) {
      const { error: failed } = await runInProcess(args);
      expect({ args, failed }).toEqual({ args, failed: expect.any(UsageError) });
      expect((failed as Error).message).toBe(message);
    }
    expect(fetch).not.toHaveBeenCalled();
  });

  it('leaves `backfill` as it was: its options still required to start one, the cancel id not asked of it', async () => {
    const fetch = jest.spyOn(global, 'fetch');
    const args = ['--to', '2026-11-05', '--per-day', '1'];
    const missing = { args, ...(await runInProcess(['backfill', ...args])) };
    expect(missing.stderr).toContain("error: required option '--from <day>' not specified");
    const excess = await runInProcess(['backfill', ID, '--from', '2026-11-05', ...missing.args]);
    expect((excess.error as Error).message).toBe(
      `too many arguments for sparkflow backfill: "${ID}" (it takes none)`,
    );
    expect(fetch).not.toHaveBeenCalled();
  });
});
