/**
 * What SparkFlow's Cassandra schema costs against the schemas it could have had (issue 17's first lever):
 * each written with the same people, in the same UNLOGGED batches, from the statements persistence makes
 * (`userWriteStatements`), into a scratch keyspace of the running stack's Cassandra, then read the ways the
 * CLI and the daily Spark job read. Run with `npm run bench:schema-options -- --help`.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { types, type Client } from 'cassandra-driver';
import { createCassandraClient, migrateKeyspace } from '@sparkflow/cassandra';
import { enrichUser } from '@sparkflow/enrichment-core';
import {
  userWriteStatements,
  type UserWriteStatement as Statement,
  type UserStatements,
  type UserWrite,
} from '@sparkflow/persistence-core';
import { generateUsers } from '@sparkflow/sources';
import { cassandraConnection, integrationSettings } from '@sparkflow/testing';
import {
  SERIES_ARGS,
  positiveWhole as positive,
  pickOptions,
  quantile,
  runMain,
  runSeries,
  writeSeries,
} from './option-series';
import { perSecond } from './run-context';
import { RetryingWriter, timedWrites } from './stages/cassandra-limit';
import { CpuMeter, StackProcess, cpuMsPerRecord, untilAtRest, type Rest } from './stack-process';

/** A look-up: its CQL and the values of each call. */
interface LookUp {
  cql: string;
  args: (sample: Sample) => unknown[][];
}

/** What the look-ups are asked for: people written, and every (country, day) partition the writes made. */
interface Sample {
  ids: string[];
  emails: string[];
  countryDays: [string, types.LocalDate][];
}

export interface SchemaOption {
  name: string;
  what: string;
  /** Run after SparkFlow's CQL migrations have made the scratch keyspace (`{{ks}}` is its name). */
  setup: string[];
  statements: (s: UserStatements, w: UserWrite) => Statement[];
  byEmail: LookUp | null;
  byCountryDay: LookUp | null;
  /** What a `byCountryDay` answer holds, when it is not every person seen on that day. */
  caveat?: string;
}

const BY_ID: LookUp = {
  cql: 'SELECT * FROM users WHERE user_id = ?',
  args: (s) => s.ids.map((id) => [id]),
};
const EMAIL_SAI: LookUp = {
  cql: 'SELECT user_id, full_name, email, updated_at FROM users WHERE email = ?',
  args: (s) => s.emails.map((e) => [e]),
};
const COUNTRY_DAY_COLUMNS = 'user_id, full_name, gender, age_band, email_domain, quality_score, updated_at';
const COUNTRY_DAY_TABLE: LookUp = {
  cql: `SELECT ${COUNTRY_DAY_COLUMNS} FROM users_by_country_day WHERE country_code = ? AND event_day = ?`,
  args: (s) => s.countryDays,
};

/** The row persistence wrote to `users_by_email` until migration 0003 (null e-mail: no row). */
function byEmailRow(s: UserStatements, w: UserWrite): Statement[] {
  if (w.user.email === null) return [];
  const [eventTime, micros] = s.users.params.slice(-2);
  return [
    {
      query:
        'INSERT INTO users_by_email (email, user_id, full_name, updated_at) VALUES (?, ?, ?, ?) USING TIMESTAMP ?',
      params: [w.user.email, w.user.userId, w.user.fullName, eventTime, micros],
    },
  ];
}

export const SCHEMA_OPTIONS: readonly SchemaOption[] = [
  {
    name: 'sparkflow',
    what: '`users` (+ SAI on e-mail, `first_event_day`) and `users_by_country_day`: what persistence writes',
    setup: [],
    statements: (s) => [s.users, s.byCountryDay, s.firstEventDay],
    byEmail: EMAIL_SAI,
    byCountryDay: COUNTRY_DAY_TABLE,
  },
  {
    name: 'three-tables',
    what: "`users`, `users_by_email` and `users_by_country_day`, no index: today's statements and the e-mail table",
    setup: ['DROP INDEX IF EXISTS {{ks}}.users_email_sai'],
    statements: (s, w) => [s.users, ...byEmailRow(s, w), s.byCountryDay, s.firstEventDay],
    byEmail: {
      cql: 'SELECT user_id, full_name, updated_at FROM users_by_email WHERE email = ?',
      args: (s) => s.emails.map((e) => [e]),
    },
    byCountryDay: COUNTRY_DAY_TABLE,
  },
  {
    name: 'one-table-sai',
    what: '`users` alone, SAI on e-mail, country and event day',
    setup: [
      "CREATE CUSTOM INDEX IF NOT EXISTS users_country_sai ON {{ks}}.users (country_code) USING 'StorageAttachedIndex'",
      "CREATE CUSTOM INDEX IF NOT EXISTS users_day_sai ON {{ks}}.users (event_day) USING 'StorageAttachedIndex'",
    ],
    statements: (s) => [s.users, s.firstEventDay],
    byEmail: EMAIL_SAI,
    byCountryDay: {
      cql: `SELECT ${COUNTRY_DAY_COLUMNS} FROM users WHERE country_code = ? AND event_day = ?`,
      args: (s) => s.countryDays,
    },
    caveat:
      "each person's newest day only: someone seen on two days is found on the later one, so it cannot count a past day",
  },
  {
    name: 'one-table',
    what: '`users` alone, no index: one row per user, the floor',
    setup: ['DROP INDEX IF EXISTS {{ks}}.users_email_sai'],
    statements: (s) => [s.users, s.firstEventDay],
    byEmail: null,
    byCountryDay: null,
  },
];

/** The users' writes, spread over `days` UTC days before today so a day's partitions hold a share each. */
export function spreadWrites(count: number, seed: string, days: number, now = new Date()): UserWrite[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return generateUsers({ seed, count }).map((payload, i) => {
    const r = enrichUser(payload, now);
    if (!r.ok)
      throw new Error(`generated user ${payload.login.uuid} does not enrich: ${JSON.stringify(r.reasons)}`);
    // Noon of one of the `days` days before today, a millisecond apart within it.
    const at = today - ((i % days) + 1) * 86_400_000 + 43_200_000 + Math.floor(i / days);
    return {
      user: r.user,
      source: 'synthetic',
      batchId: 'bench-schema-options',
      eventId: randomUUID(),
      producedAt: new Date(at).toISOString(),
    };
  });
}

interface LookUpResult {
  calls: number;
  /** Rows over every call. */
  rows: number;
  rowsPerCall: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * One call at a time, so each is timed alone; every page of an answer is read. A first call, not timed,
 * prepares the statement.
 */
async function timeLookUp(client: Client, look: LookUp, sample: Sample): Promise<LookUpResult> {
  const times: number[] = [];
  let rows = 0;
  const calls = look.args(sample);
  if (calls.length > 0) await client.execute(look.cql, calls[0], { prepare: true });
  for (const params of calls) {
    const started = performance.now();
    let pageState: string | undefined;
    do {
      const page = await client.execute(look.cql, params, { prepare: true, fetchSize: 5000, pageState });
      rows += page.rowLength;
      pageState = page.pageState ?? undefined;
    } while (pageState);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const round = (ms: number) => Number(ms.toFixed(2));
  return {
    calls: calls.length,
    rows,
    rowsPerCall: Math.round(rows / Math.max(1, calls.length)),
    p50Ms: round(quantile(times, 0.5)),
    p99Ms: round(quantile(times, 0.99)),
  };
}

export interface OptionRun {
  option: string;
  round: number;
  records: number;
  statementsPerUser: number;
  writeMs: number;
  usersPerSec: number;
  /** Cassandra's CPU over the writes, then over the writes and the flush of the keyspace's memtables. */
  cassandraCpuMsPerUser: number;
  cassandraCpuMsPerUserWithFlush: number;
  writeTimeoutsRetried: number;
  /** Cassandra at rest before the writes, and again before the look-ups. */
  restBeforeWrites: Rest;
  restBeforeLookUps: Rest;
  byId: LookUpResult;
  byEmail: LookUpResult | null;
  byCountryDay: LookUpResult | null;
}

function flush(keyspace: string): void {
  const r = spawnSync('bash', ['deploy/local/bin/stack', 'nodetool', 'cassandra', 'flush', keyspace], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`nodetool flush ${keyspace} failed: ${r.stderr || r.stdout}`);
}

async function writeAll(
  client: Client,
  option: SchemaOption,
  writes: readonly UserWrite[],
  concurrency: number,
) {
  const writer = new RetryingWriter(async (chunk) => {
    const statements = chunk.flatMap((w) => option.statements(userWriteStatements(w), w));
    await client.batch(statements, { prepare: true, logged: false });
  });
  const writeMs = await timedWrites(writer, writes, concurrency);
  return { writeMs, retried: writer.timeoutsRetried };
}

/** The stack's admin role: only it may create and drop the scratch keyspaces. */
function adminConnection(keyspace?: string) {
  const s = integrationSettings();
  return {
    ...cassandraConnection(s),
    username: s.CASSANDRA_ADMIN_USER,
    password: s.CASSANDRA_ADMIN_PASSWORD,
    ...(keyspace ? { keyspace } : {}),
  };
}

async function runOption(
  admin: Client,
  option: SchemaOption,
  round: number,
  writes: readonly UserWrite[],
  sample: Sample,
  concurrency: number,
): Promise<OptionRun> {
  const settings = integrationSettings();
  const keyspace = `bench_schema_${option.name.replaceAll('-', '_')}`;
  await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await migrateKeyspace(admin, keyspace);
  for (const cql of option.setup) await admin.execute(cql.replaceAll('{{ks}}', keyspace));
  const client = createCassandraClient(adminConnection(keyspace));
  await client.connect();
  try {
    const cassandra = await StackProcess.find(settings.SPARKFLOW_HOME, 'cassandra');
    const restBeforeWrites = await untilAtRest(cassandra);
    const meter = await CpuMeter.start([cassandra]);
    const { writeMs, retried } = await writeAll(client, option, writes, concurrency);
    const writeCpu = (await meter.seconds())[cassandra.name] ?? 0;
    flush(keyspace);
    const withFlushCpu = (await meter.seconds())[cassandra.name] ?? 0;
    const restBeforeLookUps = await untilAtRest(cassandra);
    const statements = writes.reduce((n, w) => n + option.statements(userWriteStatements(w), w).length, 0);
    return checkAnswers(
      {
        option: option.name,
        round,
        records: writes.length,
        statementsPerUser: Number((statements / writes.length).toFixed(2)),
        writeMs: Math.round(writeMs),
        usersPerSec: perSecond(writes.length, writeMs),
        cassandraCpuMsPerUser: cpuMsPerRecord(writeCpu, writes.length),
        cassandraCpuMsPerUserWithFlush: cpuMsPerRecord(withFlushCpu, writes.length),
        writeTimeoutsRetried: retried,
        restBeforeWrites,
        restBeforeLookUps,
        byId: await timeLookUp(client, BY_ID, sample),
        byEmail: option.byEmail && (await timeLookUp(client, option.byEmail, sample)),
        byCountryDay: option.byCountryDay && (await timeLookUp(client, option.byCountryDay, sample)),
      },
      sample,
    );
  } finally {
    await client.shutdown();
    await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  }
}

/**
 * A run whose look-ups did not find what was written measured something else (a write lost, a query that
 * reads the wrong thing): each sampled person is found by id once, each sampled e-mail finds someone, and the
 * (country, day) partitions hold every person once, each written on one day.
 */
export function checkAnswers(run: OptionRun, sample: Sample): OptionRun {
  const problems = [
    run.byId.rows === sample.ids.length ? null : `${run.byId.rows} of ${sample.ids.length} people by id`,
    run.byEmail === null || run.byEmail.rows >= sample.emails.length
      ? null
      : `${run.byEmail.rows} people for ${sample.emails.length} e-mails`,
    run.byCountryDay === null || run.byCountryDay.rows === run.records
      ? null
      : `${run.byCountryDay.rows} of ${run.records} people by country and day`,
  ].filter((p): p is string => p !== null);
  if (problems.length > 0)
    throw new Error(`option ${run.option}, round ${run.round}: found ${problems.join(', ')}`);
  return run;
}

/** The look-ups' arguments: `lookUps` people spread over the run, and every (country, day) written. */
export function sampleOf(writes: readonly UserWrite[], lookUps: number): Sample {
  const step = Math.max(1, Math.floor(writes.length / lookUps));
  const picked = writes.filter((_, i) => i % step === 0).slice(0, lookUps);
  const countryDays = new Map<string, [string, types.LocalDate]>();
  for (const w of writes) {
    const day = w.producedAt.slice(0, 10);
    const country = w.user.countryCode ?? 'ZZ';
    countryDays.set(`${country} ${day}`, [country, types.LocalDate.fromString(day)]);
  }
  return {
    ids: picked.map((w) => w.user.userId),
    emails: picked.flatMap((w) => (w.user.email === null ? [] : [w.user.email])),
    countryDays: [...countryDays.values()],
  };
}

const lookUpCell = (r: LookUpResult | null) =>
  r === null ? 'cannot answer' : `${r.p50Ms} / ${r.p99Ms} ms (${r.rowsPerCall} rows)`;

/** A markdown table of every run, in the order they ran. */
export function markdownTable(runs: readonly OptionRun[]): string {
  const lines = [
    '| option | round | statements per user | users/s | Cassandra CPU-ms per user (writes) | … with the flush | by id p50 / p99 | by e-mail p50 / p99 | by country and day p50 / p99 |',
    '|---|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const r of runs) {
    lines.push(
      `| ${r.option} | ${r.round} | ${r.statementsPerUser} | ${r.usersPerSec.toLocaleString('en-US')} | ${r.cassandraCpuMsPerUser} | ${r.cassandraCpuMsPerUserWithFlush} | ${lookUpCell(r.byId)} | ${lookUpCell(r.byEmail)} | ${lookUpCell(r.byCountryDay)} |`,
    );
  }
  return lines.join('\n');
}

const HELP = `npm run bench:schema-options -- [options]

Writes the same people into a scratch keyspace per schema option (bench_schema_<option>, dropped after),
on the running stack's Cassandra, and reports each option's write rate, Cassandra's CPU per user and the
latency of the look-ups the CLI and the daily job make. Before the rounds, one option's run is made and
discarded (a warm-up); in the rounds the options' order follows a Williams design (each option once in
each position and after each other option equally often, over as many rounds as options, twice as many
when their number is odd).

  --records N       users per option and round (default 60000)
  --rounds N        rounds (default 4)
  --days N          UTC days the users are spread over (default 10)
  --concurrency N   users in flight, in UNLOGGED batches of up to 16 users; persistence's default
                    PERSISTENCE_WRITE_CONCURRENCY (default 64)
  --look-ups N      people looked up by id and by e-mail (default 500)
  --only a,b        these options only (${SCHEMA_OPTIONS.map((o) => o.name).join(', ')})
  --out FILE        also write the runs, the machine and the options given as JSON to FILE`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...SERIES_ARGS,
      days: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '64' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const records = positive('records', values.records);
  const rounds = positive('rounds', values.rounds);
  const concurrency = positive('concurrency', values.concurrency);
  const options = pickOptions(SCHEMA_OPTIONS, values.only);

  const startedAt = new Date().toISOString();
  const writes = spreadWrites(records, 'sparkflow-bench', positive('days', values.days));
  const sample = sampleOf(writes, positive('look-ups', values['look-ups']));
  const admin = createCassandraClient(adminConnection());
  await admin.connect();
  const log = (run: OptionRun, label: string) =>
    console.error(
      `[schema-options ${new Date().toISOString().slice(11, 19)}] ${label} ${run.option}: ${run.usersPerSec} users/s, Cassandra ${run.cassandraCpuMsPerUser} CPU-ms per user (${run.cassandraCpuMsPerUserWithFlush} with the flush)${run.restBeforeWrites.reached ? '' : `; Cassandra was not at rest before the writes (${run.restBeforeWrites.cores} cores)`}`,
    );
  let runs: OptionRun[];
  try {
    runs = await runSeries(
      options,
      rounds,
      (option, round) => runOption(admin, option, round, writes, sample, concurrency),
      log,
    );
  } finally {
    await admin.shutdown();
  }
  console.log(markdownTable(runs));
  console.log('');
  for (const o of options)
    console.log(`- **${o.name}**: ${o.what}${o.caveat ? `; by country and day: ${o.caveat}` : ''}`);
  if (values.out) {
    const settings = { records, rounds, days: values.days, concurrency, lookUps: values['look-ups'] };
    await writeSeries(values.out, startedAt, settings, runs);
  }
  return 0;
}

if (require.main === module) runMain('schema-options', main);
