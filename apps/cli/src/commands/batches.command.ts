import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { BatchListQuery, type BatchList, type BatchReport, type BatchSummary } from '@sparkflow/contracts';
import type { CliConfig } from '../cli.config';
import { contextOf } from '../context';
import { CliError } from '../errors';
import { auditEntity, auditEntityOrFail, auditList } from '../http/api';
import { cliKafka } from '../kafka/connection';
import type { Output } from '../output/output';
import { stageLag } from '../pipeline/stage-lag';
import { batchProgress, waitingFor, type StalledStage } from '../pipeline/stages';
import {
  MAX_INTERVAL_MS,
  SINCE_FORMS,
  parseBatchId,
  parseCursor,
  parsePositiveInt,
  parseSince,
} from './options';

/** The audit's default and bound for `limit`, from the contract it validates the query with. */
const LIST_LIMIT = {
  default: BatchListQuery.parse({}).limit,
  max: BatchListQuery.shape.limit.unwrap().maxValue,
};

const batchPath = (batchId: string) => `/v1/batches/${encodeURIComponent(batchId)}`;

function fetchBatch(cfg: CliConfig, batchId: string): Promise<BatchReport | null> {
  return auditEntity<BatchReport>(cfg, batchPath(batchId));
}

const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);

function printBatch(out: Output, b: BatchReport): void {
  out.fields([
    ['batch', b.batchId],
    ['source', b.source],
    ['expected', b.expected],
    ['ingested', b.ingested],
    ['enriched', b.enriched],
    ['persisted', b.persisted],
    ['dead-lettered', b.deadLettered],
    ['complete', b.complete ? out.paint('green', 'yes') : out.paint('yellow', 'no')],
    ['first ingested', b.timing.firstIngestedAt],
    ['last persisted', b.timing.lastPersistedAt],
    [
      'throughput',
      b.timing.throughputPerSec === null
        ? '-'
        : `${b.timing.throughputPerSec} users/s (first ingest → last persisted)`,
    ],
    [
      'latency',
      `p50 ${ms(b.timing.latencyMs.p50)} · p95 ${ms(b.timing.latencyMs.p95)} · p99 ${ms(b.timing.latencyMs.p99)} (ingest → persisted)`,
    ],
    ['sample user', b.sampleUserId],
  ]);
}

function stallMessage(
  batchId: string,
  b: BatchReport | null,
  stalled: readonly StalledStage[],
  stallAfter: number,
): string {
  const where = stalled
    .map(
      (s) =>
        `${s.stage} (group ${s.groupId} on ${s.topic}, partitions ${s.partitions.join(', ')}: ${s.lag} record(s) waiting, ` +
        `committed offset unmoved for ${s.stalledSeconds.toFixed(0)} s)`,
    )
    .join('; ');
  const counts = b ? ` — ${batchProgress(b).label}` : '';
  return `batch ${batchId} stalled at ${where}${counts}. No progress for ${stallAfter} s or more; \`sparkflow topics describe ${stalled[0].topic}\` shows the group.`;
}

/** The command that lists the page after a cut one: the same window (its resolved since), from `next`. */
export function nextPageHint(
  body: Pick<BatchList, 'since' | 'incompleteOnly' | 'next'>,
  limit?: number,
): string {
  if (!body.next) return 'more batches match: narrow --since or raise --limit';
  const args = ['sparkflow batches list', `--since ${body.since}`];
  if (body.incompleteOnly) args.push('--incomplete');
  if (limit !== undefined) args.push(`--limit ${limit}`);
  args.push(`--cursor ${body.next}`);
  return `more batches match; the next page: ${args.join(' ')}`;
}

export interface WatchOptions {
  stallAfter: number;
  timeout: number;
  interval: number;
  /** Seconds to wait for the audit to see a batch at all before giving up on it as unknown. */
  unseenAfter: number;
}

/** What `watch` polls and how it waits: the audit, the consumer groups and the clock. */
export interface WatchDeps {
  fetchBatch: () => Promise<BatchReport | null>;
  stalledStages: (stallAfterMs: number) => Promise<readonly StalledStage[]>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

function liveWatchDeps(cfg: CliConfig, batchId: string): WatchDeps {
  const kafka = cliKafka(cfg);
  return {
    fetchBatch: () => fetchBatch(cfg, batchId),
    stalledStages: async (stallAfterMs) => (await stageLag(cfg, kafka, stallAfterMs)).stalled,
    now: Date.now,
    sleep: (ms) => sleep(ms).then(() => undefined),
  };
}

export function batchesCommand(): Command {
  const batches = new Command('batches').description(
    'batches as the audit accounts for them: list, one batch, follow one to completion',
  );

  batches
    .command('list')
    .description(
      'batches the audit registered since a time, newest first, with their counts and whether each is complete',
    )
    .option('--since <time>', `registered since ${SINCE_FORMS} (default 1d)`)
    .option('--incomplete', 'only batches not complete yet (in flight or stuck)')
    .option(
      '--limit <n>',
      `at most n batches (default ${LIST_LIMIT.default}, at most ${LIST_LIMIT.max})`,
      parsePositiveInt('--limit', LIST_LIMIT.max ?? undefined),
    )
    .option(
      '--cursor <token>',
      'the page after the one whose listing printed this token (its `next`); give the same --since and --incomplete',
      parseCursor,
    )
    .addHelpText(
      'after',
      `
A listing cut at --limit ends with the command that prints the next page (its --cursor), so every batch
of the window can be read, each once, however many there are.

Examples:
  $ sparkflow batches list --since 1h
  $ sparkflow batches list --incomplete --json | jq -r '.batches[].batchId'`,
    )
    .action(
      async (
        opts: { since?: string; incomplete?: boolean; limit?: number; cursor?: string },
        cmd: Command,
      ) => {
        const { cfg, out } = contextOf(cmd);
        const query = new URLSearchParams();
        if (opts.since !== undefined) query.set('since', new Date(parseSince(opts.since)).toISOString());
        if (opts.incomplete) query.set('incomplete', 'true');
        if (opts.limit !== undefined) query.set('limit', String(opts.limit));
        if (opts.cursor !== undefined) query.set('cursor', opts.cursor);
        const body = await auditList<BatchList>(cfg, `/v1/batches?${query.toString()}`);
        if (out.json) return out.data(body);
        if (!body.batches.length)
          return out.note(`no ${body.incompleteOnly ? 'incomplete ' : ''}batches since ${body.since}`);
        out.table<BatchSummary>(body.batches, [
          { header: 'BATCH', value: (b) => b.batchId },
          { header: 'SOURCE', value: (b) => b.source },
          { header: 'REGISTERED', value: (b) => b.createdAt },
          { header: 'EXPECTED', value: (b) => b.expected, align: 'right' },
          { header: 'INGESTED', value: (b) => b.ingested, align: 'right' },
          { header: 'ENRICHED', value: (b) => b.enriched, align: 'right' },
          { header: 'PERSISTED', value: (b) => b.persisted, align: 'right' },
          {
            header: 'DEAD',
            value: (b) => b.deadLettered,
            align: 'right',
            style: (b) => (b.deadLettered ? 'yellow' : undefined),
          },
          {
            header: 'STATUS',
            value: (b) => (b.complete ? 'complete' : 'in flight'),
            style: (b) => (b.complete ? 'green' : 'yellow'),
          },
        ]);
        if (body.truncated) out.note(out.paint('dim', nextPageHint(body, opts.limit)));
      },
    );

  batches
    .command('get')
    .description(
      'one batch: ingested, enriched, persisted, dead-lettered, complete, throughput and latency percentiles',
    )
    .argument('<batchId>', 'the batch id (`batches list` shows them)', parseBatchId)
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow batches get synthetic-run-20261130-p1-n10000
  $ sparkflow batches get <batchId> --json | jq .timing.latencyMs.p99

Exit codes: 0 found, 1 the audit has no such batch, 2 not a batch id (empty, over 200 characters, . or ..).`,
    )
    .action(async (batchId: string, _opts: object, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const b = await auditEntityOrFail<BatchReport>(
        cfg,
        batchPath(batchId),
        `no batch ${batchId} in the audit`,
        '; `sparkflow batches list` shows recent ones',
      );
      if (out.json) return out.data(b);
      printBatch(out, b);
    });

  batches
    .command('watch')
    .description(
      "follow a batch until it is complete (exit 0), or until it stops moving and a stage's consumer group is stalled " +
        '(exit 1, naming the stage that holds it)',
    )
    .argument('<batchId>', 'the batch id (`batches list` shows them)', parseBatchId)
    .option(
      '--stall-after <seconds>',
      'no progress for this long, and a consumer group with records behind a committed offset unmoved for as long, is a stall ' +
        '(default: KAFKA_STALL_AFTER_S, 60)',
      parsePositiveInt('--stall-after'),
    )
    .option(
      '--timeout <seconds>',
      'give up (exit 1) after this long even without a stalled group',
      parsePositiveInt('--timeout'),
      3600,
    )
    .option(
      '--interval <ms>',
      `how often to ask the audit (at most ${MAX_INTERVAL_MS})`,
      parsePositiveInt('--interval', MAX_INTERVAL_MS),
      1000,
    )
    .option(
      '--unseen-after <seconds>',
      'give up (exit 1) after this long if the audit has not seen the batch at all (a mistyped id); ' +
        'a batch it has seen is followed until --timeout',
      parsePositiveInt('--unseen-after'),
      60,
    )
    .addHelpText(
      'after',
      `
A progress bar on a terminal (on stderr), one line per change when piped; the batch's report at the end.

Examples:
  $ sparkflow batches watch synthetic-run-20261130-p1-n10000
  $ sparkflow batches watch <batchId> --stall-after 30 --json

Exit codes: 0 complete, 1 stalled (the stage that holds it is named), timed out, or not seen by the audit
within --unseen-after, 2 bad usage.`,
    )
    .action(async (batchId: string, opts: Partial<WatchOptions>, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const options = { ...opts, stallAfter: opts.stallAfter ?? cfg.stallAfterSeconds } as WatchOptions;
      await watch(out, batchId, options, liveWatchDeps(cfg, batchId));
    });

  return batches;
}

/**
 * Follows a batch until it is complete; throws once a consumer group holding it is stalled, after
 * `timeout`, or after `unseenAfter` when the audit has never seen it.
 */
export async function watch(
  out: Output,
  batchId: string,
  opts: WatchOptions,
  deps: WatchDeps,
): Promise<void> {
  const started = deps.now();
  let lastMove = started;
  let lastState = '';
  let lastLagCheck = 0;
  let announced = false;
  let seen = false;
  let b: BatchReport | null = null;
  const stallAfterMs = opts.stallAfter * 1000;
  for (;;) {
    b = await deps.fetchBatch();
    const now = deps.now();
    if (b) {
      const state = `${b.ingested}/${b.enriched}/${b.persisted}/${b.deadLettered}`;
      const p = batchProgress(b);
      if (state !== lastState) {
        lastMove = now;
        lastState = state;
        if (!out.json && !out.options.tty) out.progress(p.done, p.total, p.label);
      }
      if (!out.json && out.options.tty) out.progress(p.done, p.total, p.label);
      if (b.complete) break;
    } else if (!announced && !out.json) {
      announced = true;
      out.note(`waiting for the audit to see batch ${batchId}…`);
    }
    // Only once the batch stood still for the stall time are the groups asked (it reads the commit log).
    if (now - lastMove >= stallAfterMs && now - lastLagCheck >= Math.max(opts.interval, 3000)) {
      lastLagCheck = now;
      const stalled = await deps.stalledStages(stallAfterMs);
      if (stalled.length) {
        if (!out.json && out.options.tty) out.endProgress();
        const message = stallMessage(batchId, b, stalled, opts.stallAfter);
        if (out.json) out.data({ batchId, complete: false, stalled, batch: b });
        throw new CliError(message);
      }
    }
    seen ||= b !== null;
    if (!seen && now - started >= opts.unseenAfter * 1000) {
      if (out.json) out.data({ batchId, complete: false, stalled: [], batch: null });
      throw new CliError(
        `the audit has not seen batch ${batchId} in ${opts.unseenAfter} s of watching: is the id right? ` +
          '`sparkflow batches list` shows recent ones (--unseen-after waits longer for a batch not started yet)',
      );
    }
    if (now - started >= opts.timeout * 1000) {
      if (!out.json && out.options.tty) out.endProgress();
      if (out.json) out.data({ batchId, complete: false, stalled: [], batch: b });
      throw new CliError(
        b
          ? `batch ${batchId} not complete after ${opts.timeout} s (${batchProgress(b).label}); it waits for ${waitingFor(b)}, ` +
              `no consumer group is stalled`
          : `the audit has not seen batch ${batchId} after ${opts.timeout} s; \`sparkflow batches list\` shows recent ones`,
      );
    }
    await deps.sleep(opts.interval);
  }
  if (!out.json && out.options.tty) out.endProgress();
  if (out.json) return out.data({ batchId, complete: true, stalled: [], batch: b });
  out.line(
    out.paint(
      'green',
      `batch ${batchId} complete in ${((deps.now() - started) / 1000).toFixed(1)} s of watching`,
    ),
  );
  printBatch(out, b);
}
