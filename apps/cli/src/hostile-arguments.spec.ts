import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import fc from 'fast-check';
import {
  BatchListQuery,
  STAGES,
  batchIdProblem,
  decodeBatchListCursor,
  encodeBatchListCursor,
  UserHistoryQuery,
  type BatchReport,
} from '@sparkflow/contracts';
import { runsItself } from './cli-runner';
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
      // Ingestion's bound on a day's people, refused as it refuses it (the CLI names --per-day).
      if (req.perDay > 100_000)
        return json(400, {
          statusCode: 400,
          message: 'bad request',
          errors: [{ path: 'perDay', message: 'Too big: expected number to be <=100000' }],
        });
      const batches = [];
      for (let t = Date.parse(req.from); t <= Date.parse(req.to); t += 86_400_000) {
        const day = new Date(t).toISOString().slice(0, 10);
        const batchId = `backfill-${req.seed}-${day}`;
        backfilled.set(batchId, (backfilled.get(batchId) ?? 0) + req.perDay);
        batches.push({ day, batchId, expected: req.perDay, produced: req.perDay });
      }
      return json(202, { id: 'b1', status: 'produced', batches });
    }
    if (path.startsWith('/v1/backfills/') && init?.method === 'DELETE')
      return json(202, { id: path.split('/').at(-1), status: 'cancelled', batches: [] });
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
        return n === undefined
          ? json(404, { statusCode: 404, code: 'NOT_FOUND', message: `no batch ${id} in the audit` })
          : json(200, completeBatch(id, n));
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
  { args: (v) => ['batches', 'watch', '--timeout', '1', '--', v], names: /batchId|batch/ },
  { args: (v) => ['batches', 'watch', 'b1', '--timeout', v], names: /--timeout/ },
  { args: (v) => ['batches', 'watch', 'b1', '--stall-after', v], names: /--stall-after/ },
  { args: (v) => ['batches', 'watch', 'b1', '--interval', v], names: /--interval/ },
  { args: (v) => ['batches', 'watch', 'b1', '--unseen-after', v], names: /--unseen-after/ },
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
  { args: (v) => ['topics', 'describe', '--', v], names: /topic/ },
  { args: (v) => ['topics', 'describe', 'users.raw', '--stall-after', v], names: /--stall-after/ },
  { args: (v) => ['topics', 'describe', 'users.raw', '--group', v], names: /--group|group/ },
  { args: (v) => ['topics', 'tail', '--', v], names: /topic/ },
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

/**
 * The exit-code contract, per value: a value no run of the command could use is the user's mistake — exit 2,
 * the message naming the option or argument — and a value it can use never is (it may still fail, exit 1,
 * when the world lacks what it names). Each slot says what is malformed and what is valid for it, and every
 * option and argument that takes a value has a slot.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
/** Text holding a lone surrogate: no UTF-8 record, key or header, and no URL, can hold it. */
const withLoneSurrogate = fc
  .tuple(anyText, fc.integer({ min: 0xd800, max: 0xdfff }), anyText)
  .map(([a, s, b]) => `${a.replace(/\p{Cs}/gu, '')}${String.fromCharCode(s)}${b.replace(/\p{Cs}/gu, '')}`);
/** Text without one (what a shell can pass). */
const wellFormedText = (minLength = 0) =>
  fc.string({ unit: 'binary', minLength, maxLength: 40 }).filter((s) => !LONE_SURROGATE.test(s));

/**
 * `value` with a space around it (any character `\s` matches: a shell passes what was quoted), on one side
 * or both: a quoting mistake, refused where a value is a number.
 */
const spaced = (value: fc.Arbitrary<string>) => {
  const space = fc.string({
    unit: fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\ufeff'),
    maxLength: 3,
  });
  return fc
    .tuple(space, value, space)
    .filter(([before, , after]) => before + after !== '')
    .map(([before, v, after]) => `${before}${v}${after}`);
};

/** A batch id a cursor may name. */
const KINDS_BATCH_ID_VALID = fc
  .string({ minLength: 1, maxLength: 200 })
  .filter((s) => batchIdProblem(s) === null);

const KINDS = {
  uuid: {
    malformed: fc.oneof(
      fc.constantFrom(
        'not-a-uuid',
        '',
        ' ',
        '3f1e2d4c-5b6a-4978-8695-a4b3c2d1e0f',
        '3f1e2d4c-5b6a-4978-8695-a4b3c2d1e0f9a',
        '3f1e2d4c5b6a49788695a4b3c2d1e0f9',
        '{3f1e2d4c-5b6a-4978-8695-a4b3c2d1e0f9}',
        'g3f1e2d4-5b6a-4978-8695-a4b3c2d1e0f9',
      ),
      anyText.filter((s) => !isUuid(s)),
    ),
    valid: fc.uuid().chain((u) => fc.constantFrom(u, u.toUpperCase())),
  },
  positiveInt: (max: number = Number.MAX_SAFE_INTEGER) => ({
    digits: true,
    malformed: fc.oneof(
      fc.constantFrom(
        '0',
        '-0',
        '-1',
        '1.5',
        '1e3',
        '0x10',
        '+1',
        'NaN',
        'Infinity',
        '-Infinity',
        '',
        ' ',
        '١٢',
      ),
      fc.constantFrom(String(max + 1), '99999999999999999999', '9'.repeat(400)),
      fc.integer({ max: 0 }).map(String),
      fc
        .double({ noNaN: false })
        .filter((d) => !Number.isInteger(d) || d < 1)
        .map(String),
      fc.bigInt({ min: BigInt(max) + 1n, max: 10n ** 30n }).map(String),
      spaced(fc.integer({ min: 1, max }).map(String)),
      anyText.filter((s) => !/^\d+$/.test(s)),
    ),
    valid: fc.integer({ min: 1, max }).map(String),
  }),
  since: {
    digits: true,
    malformed: fc.oneof(
      fc.constantFrom(
        '',
        ' ',
        'yesterday',
        'now',
        '10',
        '-1h',
        '1.5h',
        '10 m',
        '1y',
        'NaN',
        '2026-02-30',
        '2026-13-01',
        '2026-11-05T25:00:00Z',
        '26-11-05',
        '+275760-09-13T00:00:00Z',
      ),
      spaced(fc.constantFrom('10m', '1h', '2026-11-05', '2026-11-05T10:00:00Z', '2026-11-05 10:00')),
      anyText.filter((s) => !/^\d+(ms|s|m|h|d|w)$/.test(s) && !/^\d{4}-\d{2}-\d{2}/.test(s)),
    ),
    valid: fc.oneof(
      fc
        .tuple(fc.bigInt({ min: 0n, max: 10n ** 25n }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w'))
        .map(([n, u]) => `${n}${u}`),
      fc
        .date({
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        })
        .chain((d) => fc.constantFrom(d.toISOString(), d.toISOString().slice(0, 10))),
    ),
  },
  /** A day within `span` days after (or before, negative) `anchor`, or a string that is no calendar day. */
  day: (anchor: string, span: number) => ({
    malformed: fc.oneof(
      fc.constantFrom(
        '',
        'today',
        '2026-02-30',
        '2026-11-5',
        '2026-13-01',
        '2026-00-10',
        '20261105',
        '2026-11-05T00:00:00Z',
        ' 2026-11-05',
      ),
      anyText.filter((s) => !/^\d{4}-\d{2}-\d{2}$/.test(s)),
    ),
    valid: fc
      .integer({ min: Math.min(0, span), max: Math.max(0, span) })
      .map((d) => new Date(Date.parse(`${anchor}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10)),
  }),
  /** A batch id the audit can be asked for: 1–200 characters, no NUL, a URL can carry it, not `.` or `..`. */
  batchIdInUrl: {
    malformed: fc.oneof(
      fc.constantFrom('', '.', '..', 'x'.repeat(201), 'a\u0000b'),
      fc.string({ minLength: 201, maxLength: 300 }),
      withLoneSurrogate,
    ),
    valid: fc
      .string({
        unit: fc.constantFrom('a', 'Z', '0', '-', '_', '.', ':', '/', ' ', '%', '?', '#', 'é', 'ж', '🙂'),
        minLength: 1,
        maxLength: 100,
      })
      .filter((s) => s !== '.' && s !== '..'),
  },
  /** The `next` of a batch listing: a token the audit decodes, anything else refused. */
  cursor: {
    malformed: fc.oneof(
      fc.constantFrom('', '=', 'WyIxIiwiIl0', 'bm90IGpzb24'),
      anyText.filter((s) => decodeBatchListCursor(s) === null),
    ),
    valid: fc
      .tuple(fc.bigInt({ min: 0n, max: 2n ** 62n }), KINDS_BATCH_ID_VALID)
      .map(([createdAtMicros, batchId]) => encodeBatchListCursor({ createdAtMicros, batchId })),
  },
  /** A batch id as a dead letter carries it: 1–200 characters, no NUL. */
  batchId: {
    malformed: fc.oneof(
      fc.constantFrom('', 'x'.repeat(201), 'a\u0000b'),
      fc.string({ minLength: 201, maxLength: 300 }),
    ),
    valid: fc.string({ minLength: 1, maxLength: 200 }).filter((s) => !s.includes('\u0000')),
  },
  stage: {
    malformed: fc.oneof(
      fc.constantFrom('', 'Enrichment', 'enrichment ', 'users.raw', 'all'),
      anyText.filter((s) => !(STAGES as readonly string[]).includes(s)),
    ),
    valid: fc.constantFrom(...STAGES),
  },
  /** A name Kafka takes for a topic: 1–249 of [a-zA-Z0-9._-], not `.` or `..`. */
  topic: {
    malformed: fc.oneof(
      fc.constantFrom('', '.', '..', 'a/b', 'users raw', 'users.raw\n', 'é', 'a\u0000', 'x'.repeat(250)),
      anyText.filter((s) => !/^[a-zA-Z0-9._-]{1,249}$/.test(s) || s === '.' || s === '..'),
    ),
    valid: fc.oneof(
      fc.constantFrom('users.raw', 'users.dlq', 'no.such.topic', '__consumer_offsets'),
      fc.stringMatching(/^[a-zA-Z0-9._-]{1,249}$/).filter((s) => s !== '.' && s !== '..'),
    ),
  },
  /** `<partition>:<offset>`: a partition is an int32, an offset an int64, neither negative. */
  offset: {
    digits: true,
    malformed: fc.oneof(
      fc.constantFrom('', '0', ':1', '1:', '0:-1', '-1:0', 'a:b', '1:2:3', '0x1:0', '1.5:0', '2147483648:0'),
      fc.constantFrom('0:9223372036854775808', '0:99999999999999999999999'),
      fc.bigInt({ min: 2n ** 31n, max: 10n ** 20n }).map((p) => `${p}:0`),
      fc.bigInt({ min: 2n ** 63n, max: 10n ** 30n }).map((o) => `0:${o}`),
      spaced(fc.constantFrom('0:0', '0:42', '2:1500')),
      anyText.filter((s) => !/^\d+:\d+$/.test(s)),
    ),
    valid: fc
      .tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }))
      .chain(([p, o]) => fc.constantFrom(`0:${o}`, `${p}:${o}`)),
  },
  /** Text a record or a group can hold: anything but a lone surrogate (and, where `nonEmpty`, not ''). */
  text: (nonEmpty: boolean) => ({
    malformed: nonEmpty ? fc.oneof(fc.constant(''), withLoneSurrogate) : withLoneSurrogate,
    valid: wellFormedText(nonEmpty ? 1 : 0),
  }),
  /** A key the services take (8 characters or more) and the x-api-key header carries (visible ASCII). */
  apiKey: {
    malformed: fc.oneof(
      fc.constantFrom('', ' ', 'short', 'ключ-ключ-ключ', 'a\tbcdefghi', 'a\u0000bcdefghi', 'abcdefg\nhi'),
      fc.string({ minLength: 8, maxLength: 20 }).map((s) => `k${s}\u00e9`),
    ),
    valid: fc.stringMatching(/^[\x21-\x2b\x2d-\x7e]{8,64}$/),
  },
  /** --seed names batches `backfill-<seed>-<day>`: at most 180 characters, no NUL, no lone surrogate. */
  seed: {
    malformed: fc.oneof(
      fc.constantFrom('x'.repeat(181), 'a\u0000b'),
      fc.string({ minLength: 181, maxLength: 260 }),
      withLoneSurrogate,
    ),
    valid: wellFormedText(1).filter((s) => !s.includes('\u0000')),
  },
};

/** A corrected record on disk for `--payload-file`, and a folder where nothing is. */
const FILES = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'sparkflow-cli-hostile-'));
  const fixed = join(dir, 'fixed.json');
  writeFileSync(fixed, '{"login":{"uuid":"3f1e2d4c-5b6a-4978-8695-a4b3c2d1e0f9"}}');
  return { dir, fixed };
})();
afterAll(() => rmSync(FILES.dir, { recursive: true, force: true }));

const EVENT = '3f1e2d4c-5b6a-4978-8695-a4b3c2d1e0f9';
const BACKFILL = (o: Partial<Record<'from' | 'to' | 'per-day' | 'seed' | 'timeout', string>>) =>
  Object.entries({ from: '2026-11-05', to: '2026-11-05', 'per-day': '1', timeout: '1', ...o }).flatMap(
    ([k, v]) => [`--${k}`, v],
  );

interface TypedSlot {
  /** The command's path, e.g. `dlq replay` (empty: the program's own options). */
  command: string;
  /** The option (`--event`) or argument (`<dlqEventId>`) the value is given to. */
  target: string;
  args: (v: string) => string[];
  malformed: fc.Arbitrary<string>;
  valid: fc.Arbitrary<string>;
  /** Its value is, or holds, a number: decimal digits, nothing around them. */
  digits?: boolean;
}

const TYPED_SLOTS: TypedSlot[] = [
  {
    command: '',
    target: '--audit-key',
    args: (v) => ['--audit-key', v, 'batches', 'get', 'b1'],
    ...KINDS.apiKey,
  },
  {
    command: 'batches list',
    target: '--since',
    args: (v) => ['batches', 'list', '--since', v],
    ...KINDS.since,
  },
  {
    command: 'batches list',
    target: '--limit',
    args: (v) => ['batches', 'list', '--limit', v],
    ...KINDS.positiveInt(BatchListQuery.shape.limit.unwrap().maxValue ?? undefined),
  },
  {
    command: 'users get',
    target: '--limit',
    args: (v) => ['users', 'get', '7a1d5c3e-2b4f-4e8a-9c6d-0f1e2a3b4c5d', '--limit', v],
    ...KINDS.positiveInt(UserHistoryQuery.shape.limit.unwrap().maxValue ?? undefined),
  },
  {
    command: 'batches list',
    target: '--cursor',
    args: (v) => ['batches', 'list', '--cursor', v],
    ...KINDS.cursor,
  },
  {
    command: 'batches get',
    target: '<batchId>',
    args: (v) => ['batches', 'get', '--', v],
    ...KINDS.batchIdInUrl,
  },
  {
    command: 'batches watch',
    target: '<batchId>',
    args: (v) => ['batches', 'watch', '--timeout', '1', '--', v],
    ...KINDS.batchIdInUrl,
  },
  ...['--stall-after', '--timeout', '--unseen-after'].map((o) => ({
    command: 'batches watch',
    target: o,
    args: (v: string) => ['batches', 'watch', 'b1', o, v],
    ...KINDS.positiveInt(),
  })),
  {
    command: 'batches watch',
    target: '--interval',
    args: (v) => ['batches', 'watch', 'b1', '--interval', v],
    ...KINDS.positiveInt(3_600_000),
  },
  { command: 'events get', target: '<eventId>', args: (v) => ['events', 'get', '--', v], ...KINDS.uuid },
  { command: 'users get', target: '<userId>', args: (v) => ['users', 'get', '--', v], ...KINDS.uuid },
  { command: 'dlq list', target: '--since', args: (v) => ['dlq', 'list', '--since', v], ...KINDS.since },
  {
    command: 'dlq list',
    target: '--limit',
    args: (v) => ['dlq', 'list', '--limit', v],
    ...KINDS.positiveInt(),
  },
  { command: 'dlq list', target: '--stage', args: (v) => ['dlq', 'list', '--stage', v], ...KINDS.stage },
  { command: 'dlq list', target: '--batch', args: (v) => ['dlq', 'list', '--batch', v], ...KINDS.batchId },
  { command: 'dlq stats', target: '--since', args: (v) => ['dlq', 'stats', '--since', v], ...KINDS.since },
  { command: 'dlq stats', target: '--stage', args: (v) => ['dlq', 'stats', '--stage', v], ...KINDS.stage },
  { command: 'dlq show', target: '<dlqEventId>', args: (v) => ['dlq', 'show', '--', v], ...KINDS.uuid },
  {
    command: 'dlq replay',
    target: '--event',
    args: (v) => ['dlq', 'replay', '--event', v, '--dry-run'],
    ...KINDS.uuid,
  },
  {
    command: 'dlq replay',
    target: '--stage',
    args: (v) => ['dlq', 'replay', '--stage', v, '--dry-run'],
    ...KINDS.stage,
  },
  {
    command: 'dlq replay',
    target: '--since',
    args: (v) => ['dlq', 'replay', '--since', v, '--dry-run'],
    ...KINDS.since,
  },
  {
    command: 'dlq replay',
    target: '--batch',
    args: (v) => ['dlq', 'replay', '--batch', v, '--dry-run'],
    ...KINDS.batchId,
  },
  {
    command: 'dlq replay',
    target: '--payload-file',
    args: (v) => ['dlq', 'replay', '--event', EVENT, '--payload-file', v, '--dry-run'],
    malformed: fc.oneof(
      fc.constantFrom('', '/', FILES.dir, join(FILES.dir, 'missing.json'), 'a\u0000b'),
      fc.stringMatching(/^[a-z0-9._-]{1,20}$/).map((name) => join(FILES.dir, `missing-${name}`)),
    ),
    valid: fc.constant(FILES.fixed),
  },
  {
    command: 'topics describe',
    target: '<topic>',
    args: (v) => ['topics', 'describe', '--', v],
    ...KINDS.topic,
  },
  {
    command: 'topics describe',
    target: '--stall-after',
    args: (v) => ['topics', 'describe', 'users.raw', '--stall-after', v],
    ...KINDS.positiveInt(),
  },
  {
    command: 'topics describe',
    target: '--group',
    args: (v) => ['topics', 'describe', 'users.raw', '--group', v],
    ...KINDS.text(true),
  },
  { command: 'topics tail', target: '<topic>', args: (v) => ['topics', 'tail', '--', v], ...KINDS.topic },
  ...(
    [
      ['--since', KINDS.since],
      ['--offset', KINDS.offset],
      ['--limit', KINDS.positiveInt()],
      ['--key', KINDS.text(false)],
      ['--grep', KINDS.text(false)],
    ] as const
  ).map(([o, kind]) => ({
    command: 'topics tail',
    target: o,
    args: (v: string) => ['topics', 'tail', 'users.dlq', o, v],
    ...kind,
  })),
  {
    command: 'backfill',
    target: '--from',
    args: (v) => ['backfill', ...BACKFILL({ from: v })],
    ...KINDS.day('2026-11-05', -365),
  },
  {
    command: 'backfill',
    target: '--to',
    args: (v) => ['backfill', ...BACKFILL({ to: v })],
    ...KINDS.day('2026-11-05', 365),
  },
  {
    command: 'backfill',
    target: '--per-day',
    args: (v) => ['backfill', ...BACKFILL({ 'per-day': v })],
    ...KINDS.positiveInt(100_000),
  },
  {
    command: 'backfill',
    target: '--seed',
    args: (v) => ['backfill', ...BACKFILL({ seed: v })],
    ...KINDS.seed,
  },
  {
    command: 'backfill',
    target: '--timeout',
    args: (v) => ['backfill', ...BACKFILL({ timeout: v })],
    ...KINDS.positiveInt(),
  },
  {
    command: 'backfill cancel',
    target: '<backfillId>',
    args: (v) => ['backfill', 'cancel', '--', v],
    ...KINDS.uuid,
  },
  {
    command: 'top',
    target: '--interval',
    args: (v) => ['top', '--once', '--interval', v],
    ...KINDS.positiveInt(3_600_000),
  },
  {
    command: 'top',
    target: '--stall-after',
    args: (v) => ['top', '--once', '--stall-after', v],
    ...KINDS.positiveInt(),
  },
];

/** The commands a person runs, by path; `stack` and `bench` hand their arguments to the repository's scripts. */
function leafCommands(): { path: string; cmd: Command }[] {
  // `help [command...]` acts on nothing but the program itself: help.spec.ts holds it to the same contract.
  const walk = (cmd: Command, path: string[]): { path: string; cmd: Command }[] => [
    ...(runsItself(cmd) ? [{ path: path.join(' '), cmd }] : []),
    ...cmd.commands.filter((c) => c.name() !== 'help').flatMap((c) => walk(c, [...path, c.name()])),
  ];
  return buildProgram(() => undefined)
    .commands.filter((c) => !['stack', 'bench', 'help'].includes(c.name()))
    .flatMap((c) => walk(c, [c.name()]));
}

/** What names `target` in a message: the option itself, or the argument as `<name>` or commander's `'name'`. */
const naming = (target: string) => {
  const arg = /^<(.+)>$/.exec(target);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return arg ? new RegExp(`<${escape(arg[1])}>|'${escape(arg[1])}'`) : new RegExp(`${escape(target)}\\b`);
};

/** A slot (shown by its command and target, should a value fail) and one of its malformed or valid values. */
const slotAnd = (which: 'malformed' | 'valid'): fc.Arbitrary<[TypedSlot, string]> =>
  fc
    .constantFrom(
      ...TYPED_SLOTS.map((slot) => Object.assign(slot, { toString: () => `${slot.command} ${slot.target}` })),
    )
    .chain((slot) => fc.tuple(fc.constant(slot), slot[which]));

const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

describe('the exit-code contract, for every value a command takes', () => {
  beforeEach(fakeApis);
  afterEach(() => jest.restoreAllMocks());

  it('has a slot for every option and argument that takes a value', () => {
    const taken = new Set<string>();
    for (const o of buildProgram(() => undefined).options)
      if (o.required || o.optional) taken.add(` ${o.long}`);
    for (const { path, cmd } of leafCommands()) {
      for (const o of cmd.options) if (o.required || o.optional) taken.add(`${path} ${o.long}`);
      for (const a of cmd.registeredArguments) taken.add(`${path} <${a.name()}>`);
    }
    expect(new Set(TYPED_SLOTS.map((s) => `${s.command} ${s.target}`))).toEqual(taken);
  });

  it('a malformed value exits 2 naming its option or argument, without a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(slotAnd('malformed'), async ([slot, value]) => {
        const args = slot.args(value);
        const { outcome, written } = await run(args);
        const context = `sparkflow ${JSON.stringify(args)} (${slot.target} ${JSON.stringify(value)})`;
        if (outcome.kind !== 'refused' || outcome.code !== EXIT.usage)
          throw new Error(`${context} should exit 2, got ${JSON.stringify(outcome)}\n${written}`);
        if (!naming(slot.target).test(outcome.message))
          throw new Error(`${context} was refused without naming ${slot.target}: ${outcome.message}`);
        if (STACK_TRACE.test(written)) throw new Error(`${context} printed a stack trace:\n${written}`);
      }),
      { seed: 20261202, numRuns: 1500 },
    );
  }, 120_000);

  it('a number with a space around it (a quoting mistake) exits 2, naming the option and the value as given', async () => {
    const numeric = TYPED_SLOTS.filter((slot) => slot.digits);
    expect(numeric.map((s) => `${s.command} ${s.target}`)).toEqual(
      expect.arrayContaining([
        'batches list --limit',
        'topics tail --offset',
        'top --interval',
        'dlq list --since',
      ]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...numeric).chain((slot) => fc.tuple(fc.constant(slot), spaced(slot.valid))),
        async ([slot, value]) => {
          const args = slot.args(value);
          const { outcome } = await run(args);
          expect({ args, outcome }).toEqual({
            args,
            outcome: {
              kind: 'refused',
              code: EXIT.usage,
              // The value as given, what is around it escaped (`"\\t5"`, `"5\\u00a0"`) so it can be seen.
              message: expect.stringContaining(
                `${slot.target} ${JSON.stringify(value).replace(/(?! )\s/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`,
              ),
            },
          });
        },
      ),
      { seed: 20261203, numRuns: 300 },
    );
  }, 120_000);

  it('an option given twice exits 2 naming it, unless it is one a command takes more than once', async () => {
    // The options whose help says they are repeated: every other one takes a single value.
    const REPEATED = ['topics describe --group', 'dlq replay --event'];
    const options = TYPED_SLOTS.filter((slot) => slot.target.startsWith('--'));
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...options)
          .chain((slot) => fc.tuple(fc.constant(slot), slot.valid, slot.valid, fc.boolean())),
        async ([slot, first, second, joined]) => {
          // The second time as `--limit 7` or `--limit=7`: commander reads both as the option's value.
          const args = [
            ...slot.args(first),
            ...(joined ? [`${slot.target}=${second}`] : [slot.target, second]),
          ];
          const { outcome, written } = await run(args);
          const context = `sparkflow ${JSON.stringify(args)}`;
          if (REPEATED.includes(`${slot.command} ${slot.target}`)) {
            if (outcome.kind === 'crashed' || (outcome.kind === 'refused' && outcome.code !== EXIT.failure))
              throw new Error(`${context} refused a repeated ${slot.target}: ${JSON.stringify(outcome)}`);
          } else
            expect({ args, outcome }).toEqual({
              args,
              outcome: {
                kind: 'refused',
                code: EXIT.usage,
                message: `${slot.target} is given more than once: it takes one value`,
              },
            });
          if (STACK_TRACE.test(written)) throw new Error(`${context} printed a stack trace:\n${written}`);
        },
      ),
      { seed: 20261203, numRuns: 400 },
    );
  }, 120_000);

  it('a valid value never exits 2: the command acts on it, or fails (exit 1) for what the world lacks', async () => {
    await fc.assert(
      fc.asyncProperty(slotAnd('valid'), async ([slot, value]) => {
        const args = slot.args(value);
        const { outcome, written } = await run(args);
        const context = `sparkflow ${JSON.stringify(args)} (${slot.target} ${JSON.stringify(value)})`;
        if (outcome.kind === 'crashed')
          throw new Error(`${context} failed unexpectedly: ${String((outcome.error as Error)?.stack)}`);
        if (outcome.kind === 'refused' && outcome.code !== EXIT.failure)
          throw new Error(`${context} exited ${outcome.code}: ${outcome.message}`);
        if (STACK_TRACE.test(written)) throw new Error(`${context} printed a stack trace:\n${written}`);
      }),
      { seed: 20261202, numRuns: 1000 },
    );
  }, 120_000);

  it.each(leafCommands().map(({ path }) => [path]))(
    "sparkflow %s: commander's own errors (unknown option, missing value or argument) exit 2 naming what",
    async (path) => {
      const slots = TYPED_SLOTS.filter((s) => s.command === path);
      // The command with a valid value for every argument, then with one thing wrong.
      const base = path.split(' ');
      const { cmd } = leafCommands().find((c) => c.path === path)!;
      const argsFilled = cmd.registeredArguments.map(
        (a) => fc.sample(slots.find((s) => s.target === `<${a.name()}>`)!.valid, { seed: 1, numRuns: 1 })[0],
      );
      const required = cmd.options
        .filter((o) => o.mandatory)
        .flatMap((o) => {
          const slot = slots.find((s) => s.target === o.long)!;
          return [o.long!, fc.sample(slot.valid, { seed: 1, numRuns: 1 })[0]];
        });
      const cases: [string[], RegExp][] = [
        [[...base, ...argsFilled, ...required, '--no-such-option'], /--no-such-option/],
      ];
      for (const o of cmd.options.filter((x) => x.required))
        cases.push([[...base, ...argsFilled, ...required, o.long!], naming(o.long!)]);
      for (const a of cmd.registeredArguments.filter((x) => x.required))
        cases.push([[...base, ...required], naming(`<${a.name()}>`)]);
      for (const [args, names] of cases) {
        const { outcome, written } = await run(args);
        expect({
          args,
          outcome: outcome.kind,
          code: outcome.kind === 'refused' ? outcome.code : null,
        }).toEqual({
          args,
          outcome: 'refused',
          code: EXIT.usage,
        });
        expect(written).toMatch(names);
      }
    },
  );

  it('a flag given a value (--json=true, --json true) exits 2 naming the flag, which takes none', async () => {
    // Each command run as it would be, with a valid value for every argument and required option.
    const valid = (slot: TypedSlot) => fc.sample(slot.valid, { seed: 1, numRuns: 1 })[0];
    const commands = leafCommands().map(({ path, cmd }) => {
      const slots = TYPED_SLOTS.filter((s) => s.command === path);
      const base = [
        ...path.split(' '),
        ...cmd.registeredArguments.map((a) => valid(slots.find((s) => s.target === `<${a.name()}>`)!)),
        ...cmd.options
          .filter((o) => o.mandatory)
          .flatMap((o) => [o.long!, valid(slots.find((s) => s.target === o.long)!)]),
      ];
      const flags = [...cmd.options, ...buildProgram(() => undefined).options]
        .filter((o) => !o.required && !o.optional && o.long)
        .map((o) => o.long!);
      return { path, base, flags };
    });
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...commands)
          .chain((c) =>
            fc.tuple(
              fc.constant(c),
              fc.constantFrom(...c.flags),
              fc.oneof(fc.constantFrom('true', 'false', '1', '0', 'yes', ''), fc.string({ maxLength: 12 })),
              fc.boolean(),
            ),
          )
          // `--version word` prints the release, whatever follows it (`--version=word` is refused).
          .filter(([, flag, value, joined]) => joined || (!value.startsWith('-') && flag !== '--version')),
        async ([{ base }, flag, value, joined]) => {
          const args = [...base, ...(joined ? [`${flag}=${value}`] : [flag, value])];
          const { outcome } = await run(args);
          expect({ args, outcome }).toEqual({
            args,
            outcome: {
              kind: 'refused',
              code: EXIT.usage,
              message: expect.stringContaining(`${flag} takes no value`),
            },
          });
        },
      ),
      { seed: 20261203, numRuns: 300 },
    );
  }, 120_000);

  it('an option followed by another option, its value left out, exits 2 naming the one missing its value', async () => {
    const program = buildProgram(() => undefined);
    const leaves = leafCommands();
    // The options each command has, its own and the program's (but --version, which prints the release).
    const optionsOf = (command: string) =>
      [...(leaves.find((l) => l.path === command)?.cmd.options ?? []), ...program.options]
        .map((o) => o.long!)
        .filter((long) => long !== '--version');
    const options = TYPED_SLOTS.filter((slot) => slot.target.startsWith('--'));
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...options)
          .chain((slot) =>
            fc.tuple(
              fc.constant(slot),
              fc.constantFrom(...optionsOf(slot.command).filter((o) => o !== slot.target)),
            ),
          ),
        async ([slot, next]) => {
          const args = slot.args(next);
          const { outcome } = await run(args);
          // The program reads its own options anywhere: one after a command's option leaves that one without
          // a value (commander's "argument missing"), and --audit-key takes the option after it for its own.
          // Any other option is taken for the value, and refused naming the option left without one.
          expect({ args, outcome }).toEqual({
            args,
            outcome: {
              kind: 'refused',
              code: EXIT.usage,
              message: expect.stringMatching(
                new RegExp(`(${slot.target}|${next})( <[^>]+>' argument missing| is missing its value)`),
              ),
            },
          });
        },
      ),
      { seed: 20261203, numRuns: 300 },
    );
  }, 120_000);

  it.each([
    [
      ['batches', 'get', 'b1', 'b2'],
      /^too many arguments for sparkflow batches get: "b2" \(it takes <batchId>\)$/,
    ],
    [
      ['topics', 'list', 'users.raw'],
      /^too many arguments for sparkflow topics list: "users.raw" \(it takes none\)$/,
    ],
    [['batches', 'get', 'b1', '--json', 'b1'], /: "b1" \(it takes <batchId>; --json takes no value\)$/],
  ])('sparkflow %j exits 2 naming the words it does not take', async (args, message) => {
    expect((await run(args)).outcome).toMatchObject({
      kind: 'refused',
      code: EXIT.usage,
      message: expect.stringMatching(message),
    });
  });

  it.each([
    [['dlq', 'replay', '--event', 'not-a-uuid'], /--event "not-a-uuid"/],
    [['dlq', 'show', 'not-a-uuid'], /<dlqEventId> "not-a-uuid"/],
    [['events', 'get', 'not-a-uuid'], /<eventId> "not-a-uuid"/],
    [['users', 'get', 'not-a-uuid'], /<userId> "not-a-uuid"/],
  ])('sparkflow %j exits 2: %s', async (args, message) => {
    const { outcome } = await run(args);
    expect(outcome).toMatchObject({
      kind: 'refused',
      code: EXIT.usage,
      message: expect.stringMatching(message),
    });
  });

  it.each([
    [['topics', 'describe', 'no.such.topic'], /no topic "no.such.topic"/],
    [['topics', 'tail', 'no.such.topic'], /no topic "no.such.topic"/],
    [['topics', 'tail', 'users.dlq', '--offset', '5:0'], /no partition 5/],
  ])('sparkflow %j names what Kafka lacks and exits 1', async (args, message) => {
    const { outcome } = await run(args);
    expect(outcome).toMatchObject({
      kind: 'refused',
      code: EXIT.failure,
      message: expect.stringMatching(message),
    });
  });
});
