import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { backfillBatchId, batchIdProblem, type BatchCounts } from '@sparkflow/contracts';
import type { CliConfig } from '../cli.config';
import { contextOf } from '../context';
import { CliError, UsageError } from '../errors';
import { auditEntity, callApi } from '../http/api';
import type { Output } from '../output/output';
import { faultLine, type ReasonLike } from '../output/reasons';
import { parseDay, parsePositiveInt, parseUuid, urlTextProblem } from './options';

interface BackfillResponse {
  id: string;
  status: 'running' | 'produced' | 'failed' | 'cancelled';
  error?: string;
  requestedAt?: string;
  batches: { day: string; batchId: string; expected: number; produced: number }[];
}

/** Days per backfill at most: ingestion's bound, checked first, as every day's batch is read before the request. */
export const MAX_BACKFILL_DAYS = 366;

/** Every day from `from` to `to`, inclusive (both `YYYY-MM-DD`). */
export function backfillDays(from: string, to: string): string[] {
  const days: string[] = [];
  const last = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= last; t += 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/**
 * `--seed`: it names the batches (`backfill-<seed>-<day>`), which are asked for by URL before the request, so
 * they must be batch ids a URL can carry; ingestion judges the rest of it.
 */
function parseSeed(text: string): string {
  // Empty, ingestion's schema would give two reasons (too short, and not printable text): say the one that applies.
  if (text === '') throw new UsageError('--seed "": expected a non-empty seed');
  const problem =
    urlTextProblem(text) ??
    batchIdProblem(backfillBatchId(text, '2026-01-01'))?.replace(/^batchId: /, 'as a batch id, ');
  if (problem) throw new UsageError(`--seed "${text}": ${problem}`);
  return text;
}

/** A batch's counts in the audit before this run asked for it (zero for a batch it never saw). */
export interface BatchBaseline {
  ingested: number;
  persisted: number;
  deadLettered: number;
}

export const baselineOf = (c: BatchCounts | null): BatchBaseline => ({
  ingested: c?.ingested ?? 0,
  persisted: c?.persisted ?? 0,
  deadLettered: c?.deadLettered ?? 0,
});

/** One batch as this run sees it: the audit's counts less the baseline. */
export interface RunBatch {
  day: string;
  batchId: string;
  expected: number;
  ingested: number;
  persisted: number;
  deadLettered: number;
  complete: boolean;
}

/**
 * This run's share of a batch. A backfill's batch id is the same for every run of a seed and day, and the
 * audit counts events (new ids per run), so a rerun adds to the counts an earlier run left: this run's are
 * the counts less the baseline read before the request. The batch is complete for this run once its own
 * `expected` events arrived and every event of the batch is persisted or dead-lettered. The audit's
 * `complete` is not used: it compares with the size the batch's first run declared, so on a rerun it is
 * true before any event of this run arrived.
 */
export function runProgress(
  batch: Pick<RunBatch, 'day' | 'batchId' | 'expected'>,
  baseline: BatchBaseline,
  counts: BatchCounts | null,
): RunBatch {
  if (!counts) return { ...batch, ingested: 0, persisted: 0, deadLettered: 0, complete: false };
  const ingested = counts.ingested - baseline.ingested;
  return {
    ...batch,
    ingested,
    persisted: counts.persisted - baseline.persisted,
    deadLettered: counts.deadLettered - baseline.deadLettered,
    complete: ingested >= batch.expected && counts.persisted + counts.deadLettered >= counts.ingested,
  };
}

function batchCounts(cfg: CliConfig, batchId: string): Promise<BatchCounts | null> {
  return auditEntity<BatchCounts>(cfg, `/v1/batches/${encodeURIComponent(batchId)}`);
}

/** The request's fields as the command's options, to name them in ingestion's refusal. */
const OPTION_OF: Record<string, string> = { from: '--from', to: '--to', perDay: '--per-day', seed: '--seed' };

/**
 * Ingestion's 400 (`{code, message, reasons: [{code, message, path}]}`; an ingestion older than the error
 * model answers `errors: [{path, message}]` instead) as a usage error naming the options.
 */
function refusal(body: unknown): UsageError {
  const answer = body as { reasons?: ReasonLike[]; errors?: ReasonLike[] } | null;
  const faults = Array.isArray(answer?.reasons) ? answer.reasons : answer?.errors;
  // A reason about the whole request (`path: ""`) or naming no field is its message alone.
  const lines = Array.isArray(faults)
    ? faults.map((e) => `  ${faultLine(e, (path) => OPTION_OF[path] ?? path)}`)
    : [`  ${typeof body === 'string' ? body : JSON.stringify(body)}`];
  return new UsageError(`ingestion refused the backfill:\n${lines.join('\n')}`);
}

/** `text` as one word of a shell command, quoted when it has to be (a seed may hold spaces or quotes). */
export const shellWord = (text: string) =>
  /^[\w.,:/@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;

interface BackfillOptions {
  from: string;
  to: string;
  perDay: number;
  seed: string;
  timeout: number;
  wait: boolean;
}

export function backfillCommand(): Command {
  const backfill = new Command('backfill')
    .description(
      'ask ingestion for one synthetic batch per day, then follow the audit until every user of this run is ' +
        'persisted or dead-lettered',
    )
    .requiredOption('--from <day>', 'first day, e.g. 2026-11-01', parseDay('--from'))
    .requiredOption('--to <day>', `last day (inclusive; at most ${MAX_BACKFILL_DAYS} days)`, parseDay('--to'))
    .requiredOption(
      '--per-day <n>',
      'users per day, at most 100000 (ingestion refuses more, exit 2)',
      parsePositiveInt('--per-day'),
    )
    .option(
      '--seed <seed>',
      'generator seed: the same seed and day always make the same people',
      parseSeed,
      'sparkflow',
    )
    .option('--timeout <seconds>', 'give up after this long', parsePositiveInt('--timeout'), 600)
    .option('--no-wait', 'print the backfill id and batches, do not follow them')
    .addHelpText(
      'after',
      `
A day's batch id is backfill-<seed>-<day>, the same for every run of a seed and day, and the audit adds each
run's events to it: before the request the command reads each batch's counts, and follows this run's on top
of them (progress on stderr: a bar on a terminal, a line per change and every 10 s when piped).

Example:
  $ sparkflow backfill --from 2026-11-01 --to 2026-11-07 --per-day 500 --seed demo

A running backfill is stopped with \`sparkflow backfill cancel <backfillId>\` (the id this command prints).

Exit codes: 0 every user of this run persisted; 1 some were dead-lettered (how many, and the
\`sparkflow dlq list --batch <batchId> --since <start>\` that shows why), ingestion failed the backfill,
ingestion's backfill was cancelled (\`backfill cancel\`, DELETE /v1/backfills/<id>), or --timeout passed; 2 bad usage, or ingestion refused the request (naming the option).`,
    )
    .action(async (opts: BackfillOptions, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      if (opts.from > opts.to) throw new UsageError('--from must not be after --to');
      const span = (Date.parse(opts.to) - Date.parse(opts.from)) / 86_400_000 + 1;
      if (span > MAX_BACKFILL_DAYS)
        throw new UsageError(
          `--from ${opts.from} --to ${opts.to}: ${span} days; at most ${MAX_BACKFILL_DAYS} per backfill`,
        );
      const days = backfillDays(opts.from, opts.to);
      const started = Date.now();
      const baselines = new Map<string, BatchBaseline>();
      if (opts.wait)
        for (const day of days) {
          const batchId = backfillBatchId(opts.seed, day);
          baselines.set(batchId, baselineOf(await batchCounts(cfg, batchId)));
        }
      const { status, body: backfill } = await callApi<BackfillResponse>(
        'ingestion API',
        cfg.ingestionUrl,
        '/v1/backfills',
        {
          method: 'POST',
          headers: { 'x-api-key': cfg.apiKey },
          body: { from: opts.from, to: opts.to, perDay: opts.perDay, seed: opts.seed },
          okStatuses: [202, 400],
        },
      );
      if (status === 400) throw refusal(backfill);
      if (!out.json)
        out.note(`backfill ${backfill.id}: ${backfill.batches.length} batch(es) of ${opts.perDay}`);
      if (!opts.wait)
        return out.json
          ? out.data(backfill)
          : backfill.batches.forEach((b) => out.line(`${b.day}  ${b.batchId}`));
      const unknown = backfill.batches.filter((b) => !baselines.has(b.batchId));
      if (unknown.length)
        throw new CliError(
          `ingestion named batch ${unknown[0].batchId}, not ${backfillBatchId(opts.seed, unknown[0].day)}: ` +
            'its counts before this run were not read, so this run cannot be told from an earlier one. ' +
            `Backfill ${backfill.id} runs on; \`sparkflow batches watch <batchId>\` follows each batch.`,
        );
      await follow(cfg, out, backfill, baselines, { ...opts, started });
    });
  backfill.addCommand(cancelCommand());
  // `backfill` starts a backfill itself and has subcommands (`cancel`, `help`): its options, required to start
  // one, are no subcommand's. Commander checks a parent's required options before a subcommand runs, so they
  // are required of `backfill` alone: not while a subcommand is parsed, again before it acts (`backfill help`
  // prints them as required).
  backfill.hook('preSubcommand', (_backfill, subcommand) => {
    const given = backfill.options.filter((o) => backfill.getOptionValueSource(o.attributeName()) === 'cli');
    if (given.length)
      throw new UsageError(
        `${given.map((o) => o.long).join(', ')} ${given.length > 1 ? 'are options' : 'is an option'} of ` +
          `\`sparkflow backfill\` (starting a backfill), not of \`sparkflow backfill ${subcommand.name()}\``,
      );
    const required = backfill.options.filter((o) => o.mandatory);
    for (const o of required) o.makeOptionMandatory(false);
    subcommand.hook('preAction', () => required.forEach((o) => o.makeOptionMandatory(true)));
  });
  return backfill;
}

/**
 * `backfill cancel <backfillId>`: ingestion's `DELETE /v1/backfills/:id` (ADR 22). 202 is the backfill,
 * now cancelled (a second cancel answers the same); 409 CONFLICT one that already ended; 404 an id no
 * backfill has.
 */
function cancelCommand(): Command {
  return new Command('cancel')
    .description(
      'cancel a running backfill: ingestion produces none of it after the chunk in flight, on any replica',
    )
    .argument(
      '<backfillId>',
      'the id `sparkflow backfill` printed (`backfill <id>: …`, or "id" with --json)',
      parseUuid('<backfillId>', 'a backfill id (printed by `sparkflow backfill`)'),
    )
    .addHelpText(
      'after',
      `
Example:
  $ sparkflow backfill cancel 0b4c6f3e-2a51-4d8e-9f7a-6c1d2e3b4a59

Prints the backfill as ingestion then has it (with --json, ingestion's answer as it is: id, status
"cancelled", batches with each day's expected and produced users). The replica producing it stops after the
chunk it has in flight, which is not taken back: "produced" may still grow by that chunk (at most 500 users
a batch), and what was produced goes on through the pipeline. A day's batch cut short stays incomplete in
the audit. Cancelling a cancelled backfill again answers the same.

Exit codes: 0 cancelled; 1 the backfill already ended (produced or failed: only a running one can be
cancelled) or ingestion has no backfill of that id, with ingestion's message; 2 not a UUID.`,
    )
    .action(async (id: string, _opts: object, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const path = `/v1/backfills/${id.toLowerCase()}`;
      const { status, body } = await callApi<BackfillResponse>('ingestion API', cfg.ingestionUrl, path, {
        method: 'DELETE',
        headers: { 'x-api-key': cfg.apiKey },
        okStatuses: [202, 404, 409],
      });
      if (status !== 202) throw new CliError(`ingestion did not cancel backfill ${id}: ${messageOf(body)}`);
      if (out.json) return out.data(body);
      const produced = body.batches.reduce((n, b) => n + b.produced, 0);
      const expected = body.batches.reduce((n, b) => n + b.expected, 0);
      out.fields([
        ['backfill', body.id],
        ['status', body.status],
        ['requested at', body.requestedAt],
        ['produced', `${produced} of ${expected} users`],
      ]);
      out.line();
      out.table(body.batches, [
        { header: 'DAY', value: (b) => b.day },
        { header: 'BATCH', value: (b) => b.batchId },
        { header: 'EXPECTED', value: (b) => b.expected, align: 'right' },
        { header: 'PRODUCED', value: (b) => b.produced, align: 'right' },
      ]);
      out.note(
        `backfill ${body.id} cancelled after ${produced} of ${expected} users were produced; the chunk in ` +
          'flight may still add to them, and those produced go on through the pipeline',
      );
    });
}

/** The message of ingestion's error answer (`{code, message, reasons}`), else the answer as it came. */
function messageOf(body: unknown): string {
  const answer = body as { code?: unknown; message?: unknown } | null;
  if (typeof answer?.message === 'string')
    return typeof answer.code === 'string' ? `${answer.code}: ${answer.message}` : answer.message;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

async function follow(
  cfg: CliConfig,
  out: Output,
  backfill: BackfillResponse,
  baselines: ReadonlyMap<string, BatchBaseline>,
  opts: BackfillOptions & { started: number },
): Promise<void> {
  // Every batch ingestion named had its baseline taken: a batch id the CLI did not expect stopped the run.
  const baselineOf = (batchId: string): BatchBaseline => {
    const baseline = baselines.get(batchId);
    if (!baseline) throw new CliError(`no counts were read for batch ${batchId} before the backfill`);
    return baseline;
  };
  const batches = new Map<string, RunBatch>(
    backfill.batches.map((b) => [
      b.batchId,
      runProgress({ day: b.day, batchId: b.batchId, expected: b.expected }, baselineOf(b.batchId), null),
    ]),
  );
  const total = backfill.batches.reduce((n, b) => n + b.expected, 0);
  const deadline = opts.started + opts.timeout * 1000;
  const summary = (complete: boolean) => {
    const all = [...batches.values()];
    const sum = (f: (b: RunBatch) => number) => all.reduce((n, b) => n + f(b), 0);
    return {
      id: backfill.id,
      seconds: (Date.now() - opts.started) / 1000,
      complete,
      expected: total,
      persisted: sum((b) => b.persisted),
      deadLettered: sum((b) => b.deadLettered),
      batches: all,
    };
  };
  let shown = '';
  let shownAt = 0;
  for (;;) {
    for (const b of batches.values())
      if (!b.complete)
        batches.set(b.batchId, runProgress(b, baselineOf(b.batchId), await batchCounts(cfg, b.batchId)));
    const s = summary(false);
    const done = [...batches.values()].filter((b) => b.complete).length;
    const settled = s.batches.reduce(
      (n, b) => n + Math.min(b.expected, Math.max(0, b.persisted + b.deadLettered)),
      0,
    );
    const label =
      `users settled (${s.persisted} persisted, ${s.deadLettered} dead-lettered), ` +
      `${done}/${batches.size} batches complete`;
    // A terminal's bar is redrawn each round; piped, a line per change, and one every 10 s while nothing moves.
    const now = Date.now();
    if (!out.json && (out.options.tty || label !== shown || now - shownAt >= 10_000)) {
      out.progress(settled, total, `${label}, ${Math.round((now - opts.started) / 1000)} s`);
      shown = label;
      shownAt = now;
    }
    if (done === batches.size) break;
    const { body: state } = await callApi<BackfillResponse>(
      'ingestion API',
      cfg.ingestionUrl,
      `/v1/backfills/${backfill.id}`,
      { headers: { 'x-api-key': cfg.apiKey }, okStatuses: [200, 404] },
    );
    if (state.status === 'failed' || state.status === 'cancelled' || Date.now() > deadline) {
      if (!out.json) out.endProgress();
      if (out.json) out.data(s);
      throw new CliError(
        state.status === 'failed'
          ? `backfill ${backfill.id} failed in ingestion: ${state.error ?? 'no reason given'}`
          : state.status === 'cancelled'
            ? `backfill ${backfill.id} was cancelled in ingestion after ${state.batches.reduce((n, b) => n + b.produced, 0)} ` +
              `of ${total} users were produced: the rest never comes (those produced go on through the pipeline)`
            : `backfill ${backfill.id}: ${done}/${batches.size} batches complete after ${opts.timeout}s; ` +
              `\`sparkflow topics describe users.raw\` shows whether the consumers are lagging`,
      );
    }
    await sleep(500);
  }
  const s = summary(true);
  const since = new Date(opts.started).toISOString();
  const dead = s.batches.filter((b) => b.deadLettered > 0);
  const others = s.batches.filter((b) => b.ingested > b.expected);
  if (out.json) out.data(s);
  else {
    out.endProgress();
    out.table(s.batches, [
      { header: 'DAY', value: (b) => b.day },
      { header: 'BATCH', value: (b) => b.batchId },
      { header: 'EXPECTED', value: (b) => b.expected, align: 'right' },
      { header: 'PERSISTED', value: (b) => b.persisted, align: 'right', style: () => 'green' },
      {
        header: 'DEAD-LETTERED',
        value: (b) => b.deadLettered,
        align: 'right',
        style: (b) => (b.deadLettered ? 'yellow' : undefined),
      },
    ]);
    for (const b of others)
      out.note(
        out.paint(
          'yellow',
          `${b.batchId}: ${b.ingested - b.expected} more event(s) arrived than this run produced — another run of ` +
            'the same seed and day was ingested meanwhile, and these counts include its events',
        ),
      );
  }
  if (!dead.length) {
    if (!out.json)
      out.note(`every batch complete in ${s.seconds.toFixed(1)} s: ${s.persisted} users persisted`);
    return;
  }
  throw new CliError(
    `every batch settled in ${s.seconds.toFixed(1)} s, but ${s.deadLettered} of ${s.expected} users were ` +
      `dead-lettered, not stored (${s.persisted} persisted). Why:\n` +
      dead
        .slice(0, 5)
        .map(
          (b) =>
            `  ${b.deadLettered} of ${b.batchId}: sparkflow dlq list --batch ${shellWord(b.batchId)} --since ${since}`,
        )
        .join('\n') +
      (dead.length > 5
        ? `\n  … and ${dead.length - 5} more batches (sparkflow dlq stats --since ${since})`
        : ''),
  );
}
