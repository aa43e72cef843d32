import fc from 'fast-check';
import { BatchListQuery, batchIdProblem, type BatchReport } from '@sparkflow/contracts';
import { EXIT } from './errors';
import { buildProgram, report } from './main';

/**
 * Every command's arguments and options, one at a time, given hostile values: the outcome is a usage error
 * naming what was wrong (exit 2), or a parse the command acts on (an answer, or a failure it explains) —
 * never an unexpected error. The program runs as `main` runs it, against fakes of the audit, ingestion,
 * Kafka and Cassandra that answer as the real ones do. `stack` and `bench` are left out: they hand their
 * arguments to the repository's scripts, which must not run here.
 */

/** The fake Kafka was asked something it does not model: the command got past its arguments. */
class ServerReached extends Error {
  constructor(what: string) {
    super(`the command reached Kafka's ${what}`);
    this.name = 'ServerReached';
  }
}

const TOPIC_NAMES = ['users.raw', 'users.enriched', 'users.dlq', 'users.persisted'];

/** Empty topics; ListOffsets by time refuses what Kafka refuses: a negative time other than -1 and -2. */
const mockKafka = {
  admin: () =>
    new Proxy(
      {
        connect: async () => undefined,
        disconnect: async () => undefined,
        listTopics: async () => TOPIC_NAMES,
        fetchTopicOffsets: async () => [{ partition: 0, offset: '0', high: '0', low: '0' }],
        fetchTopicOffsetsByTimestamp: async (_topic: string, timestamp?: number) => {
          if (timestamp !== undefined && !(Number.isSafeInteger(timestamp) && timestamp >= -2))
            throw Object.assign(new Error('The version of API is not supported'), {
              name: 'KafkaJSProtocolError',
              type: 'UNSUPPORTED_VERSION',
            });
          return [{ partition: 0, offset: '0' }];
        },
      } as Record<string, unknown>,
      {
        get: (target, name: string) =>
          name in target ? target[name] : () => Promise.reject(new ServerReached(`admin.${name}`)),
      },
    ),
  consumer: () => {
    throw new ServerReached('consumer');
  },
  producer: () => {
    throw new ServerReached('producer');
  },
};

jest.mock('./kafka/connection', () => ({
  ...jest.requireActual('./kafka/connection'),
  cliKafka: () => mockKafka,
}));
jest.mock('@sparkflow/cassandra', () => ({
  createCassandraClient: () => ({ connect: async () => undefined, shutdown: async () => undefined }),
  findUserRow: async () => null,
}));
// Polls and `top`'s interval pass at once: a valid `--interval 3600000` must not hold the test for an hour.
jest.mock('node:timers/promises', () => ({ setTimeout: () => Promise.resolve() }));

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const completeBatch = (batchId: string, n: number): BatchReport => ({
  batchId,
  source: 'synthetic',
  expected: n,
  ingested: n,
  enriched: n,
  deadLettered: 0,
  persisted: n,
  complete: true,
  timing: {
    firstIngestedAt: '2026-11-30T00:00:00.000Z',
    lastPersistedAt: '2026-11-30T00:00:01.000Z',
    throughputPerSec: n,
    latencyMs: { p50: 1, p95: 2, p99: 3 },
  },
  sampleUserId: null,
});

/** The audit and ingestion, routed as theirs are (a path the router normalises is asked as it would be). */
function fakeApis(): void {
  const backfilled = new Map<string, number>();
  jest.spyOn(global, 'fetch').mockImplementation(async (input, init) => {
    // What fetch refuses before sending (a header that is not a byte string, a malformed URL) it refuses here.
    const url = new URL(new Request(String(input), { method: init?.method, headers: init?.headers }).url);
    const path = url.pathname;
    if (path === '/v1/backfills' && init?.method === 'POST') {
      const req = JSON.parse(String(init.body)) as { from: string; to: string; perDay: number; seed: string };
      const batches = [];
      for (let t = Date.parse(req.from); t <= Date.parse(req.to); t += 86_400_000) {
        const day = new Date(t).toISOString().slice(0, 10);
        const batchId = `backfill-${req.seed}-${day}`;
        backfilled.set(batchId, (backfilled.get(batchId) ?? 0) + req.perDay);
        batches.push({ day, batchId, expected: req.perDay, produced: req.perDay });
      }
      return json(202, { id: 'b1', status: 'produced', batches });
    }
    if (path.startsWith('/v1/backfills/')) return json(200, { id: 'b1', status: 'produced', batches: [] });
    if (/^\/v1\/batches\/?$/.test(path)) {
      const q = BatchListQuery.safeParse(Object.fromEntries(url.searchParams));
      if (!q.success) return json(400, { statusCode: 400, message: q.error.message });
      return json(200, { since: q.data.since ?? '', incompleteOnly: false, batches: [], truncated: false });
    }
    const batch = /^\/v1\/batches\/([^/]+)$/.exec(path);
    if (batch) {
      const id = decodeURIComponent(batch[1]);
      const problem = batchIdProblem(id);
      if (problem) return json(400, { statusCode: 400, message: problem });
      if (id.startsWith('backfill-')) {
        const n = backfilled.get(id);
        return n === undefined ? json(404, { statusCode: 404 }) : json(200, completeBatch(id, n));
      }
      return json(200, completeBatch(id, 3));
    }
    return json(404, { statusCode: 404, message: `Cannot ${init?.method ?? 'GET'} ${path}` });
  });
}

type Outcome =
  { kind: 'ok' } | { kind: 'refused'; code: number; message: string } | { kind: 'crashed'; error: unknown };

/** Runs `args` as `main` does; the exit code is `report`'s for what the command threw. */
async function run(args: string[]): Promise<{ outcome: Outcome; written: string }> {
  let written = '';
  const capture = (s: string | Uint8Array) => {
    written += String(s);
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const program = buildProgram(() => undefined);
    const quiet = (c: typeof program): void => {
      c.configureOutput({ writeOut: capture, writeErr: capture });
      c.commands.forEach(quiet);
    };
    quiet(program);
    await program.parseAsync(args, { from: 'user' });
    return { outcome: { kind: 'ok' }, written };
  } catch (error) {
    const reached = (e: unknown): boolean =>
      e instanceof ServerReached || (e instanceof Error && e.cause !== undefined && reached(e.cause));
    if (reached(error)) return { outcome: { kind: 'ok' }, written };
    // `report` is what `main` does with it: the exit code, and "unexpected error" for what nothing explained.
    const before = written.length;
    const code = report(error, false);
    if (written.slice(before).startsWith('sparkflow: unexpected error'))
      return { outcome: { kind: 'crashed', error }, written };
    return { outcome: { kind: 'refused', code, message: (error as Error).message }, written };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Values a person or a script may pass by mistake, or on purpose. */
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\t',
    '\n',
    '0',
    '-0',
    '-1',
    '1',
    '1.5',
    '1e3',
    '0x10',
    'NaN',
    'Infinity',
    '-Infinity',
    'undefined',
    'null',
    '99999999999999999999',
    '9'.repeat(400),
    '١٢',
    '99999999999999999999d',
    '0ms',
    '1w',
    '10m',
    '1960-01-01T00:00:00Z',
    '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00Z',
    '0000-01-01',
    '0001-01-01',
    '9999-12-31T23:59:59Z',
    '275760-09-13T00:00:00Z',
    '-000001-01-01T00:00:00Z',
    '2026-02-30',
    '2026-11-05',
    '2026-11-05T25:00:00Z',
    '.',
    '..',
    '/',
    '%2e',
    '?x=1',
    '#',
    'a/b',
    '\u0000',
    '\ud800',
    'é',
    '🙂',
    'x'.repeat(201),
    'users.raw',
    'users.dlq',
    '__consumer_offsets',
    'enrichment',
    '0:0',
    '0:-1',
    '9999999999:1',
    '0:99999999999999999999999',
    'b1',
    '3f1e2d4c-5b6a-4978-8695-a4b3c2d1e0f9',
    'dev-audit-key',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 25n }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w'))
    .map(([n, u]) => `${n}${u}`),
  fc
    .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
    .map((d) => d.toISOString()),
);

/** Each command with one slot for the hostile value, and what a message about that slot must name. */
const SLOTS: { args: (v: string) => string[]; names: RegExp }[] = [
  { args: (v) => ['batches', 'list', '--since', v], names: /--since/ },
  { args: (v) => ['batches', 'list', '--limit', v], names: /--limit/ },
  { args: (v) => ['batches', 'get', v], names: /batchId|batch/ },
  { args: (v) => ['batches', 'watch', v, '--timeout', '1'], names: /batchId|batch/ },
  { args: (v) => ['batches', 'watch', 'b1', '--timeout', v], names: /--timeout/ },
  { args: (v) => ['batches', 'watch', 'b1', '--stall-after', v], names: /--stall-after/ },
  { args: (v) => ['batches', 'watch', 'b1', '--interval', v], names: /--interval/ },
  { args: (v) => ['events', 'get', v], names: /event id|eventId/ },
  { args: (v) => ['users', 'get', v], names: /user id|userId/ },
  { args: (v) => ['dlq', 'list', '--since', v], names: /--since/ },
  { args: (v) => ['dlq', 'list', '--limit', v], names: /--limit/ },
  { args: (v) => ['dlq', 'list', '--stage', v], names: /--stage/ },
  { args: (v) => ['dlq', 'list', '--batch', v], names: /--batch/ },
  { args: (v) => ['dlq', 'stats', '--since', v], names: /--since/ },
  { args: (v) => ['dlq', 'stats', '--stage', v], names: /--stage/ },
  { args: (v) => ['dlq', 'show', v], names: /dlqEventId|dead letter/ },
  { args: (v) => ['dlq', 'replay', '--since', v, '--dry-run'], names: /--since/ },
  { args: (v) => ['dlq', 'replay', '--batch', v, '--dry-run'], names: /--batch/ },
  { args: (v) => ['topics', 'describe', v], names: /topic/ },
  { args: (v) => ['topics', 'describe', 'users.raw', '--stall-after', v], names: /--stall-after/ },
  { args: (v) => ['topics', 'describe', 'users.raw', '--group', v], names: /--group|group/ },
  { args: (v) => ['topics', 'tail', v], names: /topic/ },
  { args: (v) => ['topics', 'tail', 'users.dlq', '--since', v], names: /--since/ },
  { args: (v) => ['topics', 'tail', 'users.dlq', '--offset', v], names: /--offset/ },
  { args: (v) => ['topics', 'tail', 'users.dlq', '--limit', v], names: /--limit/ },
  { args: (v) => ['topics', 'tail', 'users.dlq', '--key', v], names: /--key/ },
  { args: (v) => ['topics', 'tail', 'users.dlq', '--grep', v], names: /--grep/ },
  {
    args: (v) => ['backfill', '--from', v, '--to', '2026-11-05', '--per-day', '1', '--timeout', '1'],
    names: /--from/,
  },
  {
    args: (v) => ['backfill', '--from', '2026-11-05', '--to', v, '--per-day', '1', '--timeout', '1'],
    names: /--to/,
  },
  {
    args: (v) => ['backfill', '--from', '2026-11-05', '--to', '2026-11-05', '--per-day', v, '--timeout', '1'],
    names: /--per-day/,
  },
  {
    args: (v) => ['backfill', '--from', '2026-11-05', '--to', '2026-11-05', '--per-day', '1', '--seed', v],
    names: /--seed/,
  },
  {
    args: (v) => ['backfill', '--from', '2026-11-05', '--to', '2026-11-05', '--per-day', '1', '--timeout', v],
    names: /--timeout/,
  },
  { args: (v) => ['top', '--once', '--interval', v], names: /--interval/ },
  { args: (v) => ['top', '--once', '--stall-after', v], names: /--stall-after/ },
  { args: (v) => ['--audit-key', v, 'batches', 'get', 'b1'], names: /--audit-key/ },
];

/** What a command must never print of its own: a value it failed to compute. */
const GARBLED = /\bNaN\b|\bundefined\b|Invalid Date|\[object Object\]/;

describe('every command, given hostile argument values', () => {
  beforeEach(fakeApis);
  afterEach(() => jest.restoreAllMocks());

  it('refuses a value naming its option or argument (exit 2), or acts on it, and never fails unexpectedly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SLOTS), hostile, async (slot, value) => {
        const args = slot.args(value);
        const { outcome, written } = await run(args);
        const context = `sparkflow ${JSON.stringify(args)}`;
        if (outcome.kind === 'crashed')
          throw new Error(
            `${context} failed unexpectedly: ${String((outcome.error as Error)?.stack ?? outcome.error)}`,
          );
        if (outcome.kind === 'refused' && outcome.code === EXIT.usage) {
          // A refused value is named: by its option or argument, or (commander's own errors) as typed.
          if (!slot.names.test(outcome.message) && !(value && outcome.message.includes(value)))
            throw new Error(`${context} was refused without naming ${slot.names}: ${outcome.message}`);
        } else if (outcome.kind === 'refused' && /is not reachable/.test(outcome.message)) {
          throw new Error(`${context} did not reach a server that answers: ${outcome.message}`);
        } else if (outcome.kind === 'refused' && outcome.code !== EXIT.failure) {
          throw new Error(`${context} exited ${outcome.code}: ${outcome.message}`);
        }
        const own = value ? written.split(value).join('') : written;
        if (GARBLED.test(own)) throw new Error(`${context} printed a garbled value:\n${written}`);
      }),
      { seed: 20261202, numRuns: 1500 },
    );
  }, 120_000);

  it.each([
    [['batches', 'get', ''], { kind: 'refused', code: EXIT.usage }],
    [['batches', 'watch', '', '--timeout', '3'], { kind: 'refused', code: EXIT.usage }],
    [['batches', 'get', '.'], { kind: 'refused', code: EXIT.usage }],
    [['batches', 'watch', '\ud800', '--timeout', '1'], { kind: 'refused', code: EXIT.usage }],
    [
      ['backfill', '--from', '2026-11-05', '--to', '2026-11-05', '--per-day', '1', '--seed', '\ud800'],
      { kind: 'refused', code: EXIT.usage },
    ],
    [['--audit-key', 'ключ-ключ-ключ', 'batches', 'get', 'b1'], { kind: 'refused', code: EXIT.usage }],
    [['dlq', 'show', ''], { kind: 'refused', code: EXIT.usage }],
    [['batches', 'list', '--since', '99999999999999999999d'], { kind: 'ok' }],
    [['dlq', 'list', '--since', '1960-01-01T00:00:00Z'], { kind: 'ok' }],
    [['dlq', 'stats', '--since', '1960-01-01T00:00:00Z'], { kind: 'ok' }],
    [['topics', 'tail', 'users.dlq', '--since', '1969-12-31T23:59:59Z'], { kind: 'ok' }],
  ])('sparkflow %j ends in %j', async (args, expected) => {
    expect((await run(args)).outcome).toMatchObject(expected);
  });
});
