import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { contextOf } from '../context';
import { CliError, UsageError } from '../errors';
import { callApi } from '../http/api';
import { parseDay, parsePositiveInt } from './options';
import type { BatchCounts } from '@sparkflow/contracts';

interface BackfillResponse {
  id: string;
  status: 'running' | 'produced' | 'failed';
  error?: string;
  batches: { day: string; batchId: string; expected: number; produced: number }[];
}

interface BatchProgress {
  day: string;
  batchId: string;
  expected: number;
  persisted: number;
  deadLettered: number;
  complete: boolean;
}

export function backfillCommand(): Command {
  return new Command('backfill')
    .description(
      'ask ingestion for one synthetic batch per day, then follow the audit until every batch is complete',
    )
    .requiredOption('--from <day>', 'first day, e.g. 2026-11-01', parseDay('--from'))
    .requiredOption('--to <day>', 'last day (inclusive)', parseDay('--to'))
    .requiredOption('--per-day <n>', 'users per day', parsePositiveInt('--per-day'))
    .option('--seed <seed>', 'generator seed: the same seed and day always make the same people', 'sparkflow')
    .option('--timeout <seconds>', 'give up after this long', parsePositiveInt('--timeout'), 600)
    .option('--no-wait', 'print the backfill id and batches, do not follow them')
    .addHelpText(
      'after',
      `
Example:
  $ sparkflow backfill --from 2026-11-01 --to 2026-11-07 --per-day 500 --seed demo

Exit code 0 once the audit reports every batch complete (each user persisted or dead-lettered), 1 on timeout.`,
    )
    .action(
      async (
        opts: { from: string; to: string; perDay: number; seed: string; timeout: number; wait: boolean },
        cmd: Command,
      ) => {
        const { cfg, out } = contextOf(cmd);
        if (opts.from > opts.to) throw new UsageError('--from must not be after --to');
        const { body: backfill } = await callApi<BackfillResponse>(
          'ingestion API',
          cfg.ingestionUrl,
          '/v1/backfills',
          {
            method: 'POST',
            headers: { 'x-api-key': cfg.apiKey },
            body: { from: opts.from, to: opts.to, perDay: opts.perDay, seed: opts.seed },
          },
        );
        if (!out.json)
          out.note(`backfill ${backfill.id}: ${backfill.batches.length} batch(es) of ${opts.perDay}`);
        if (!opts.wait)
          return out.json
            ? out.data(backfill)
            : backfill.batches.forEach((b) => out.line(`${b.day}  ${b.batchId}`));

        const total = backfill.batches.reduce((n, b) => n + b.expected, 0);
        const progress = new Map<string, BatchProgress>(
          backfill.batches.map((b) => [
            b.batchId,
            {
              day: b.day,
              batchId: b.batchId,
              expected: b.expected,
              persisted: 0,
              deadLettered: 0,
              complete: false,
            },
          ]),
        );
        const deadline = Date.now() + opts.timeout * 1000;
        const started = Date.now();
        for (;;) {
          for (const p of progress.values()) {
            if (p.complete) continue;
            const { status, body } = await callApi<BatchCounts>(
              'audit API',
              cfg.auditUrl,
              `/v1/batches/${encodeURIComponent(p.batchId)}`,
              {
                headers: { 'x-api-key': cfg.auditKey },
                okStatuses: [200, 404],
              },
            );
            if (status === 404) continue; // the audit has not seen the batch yet
            // A batch re-run (same seed and day) accumulates; the audit's own verdict says when it settled.
            p.persisted = body.persisted;
            p.deadLettered = body.deadLettered;
            p.complete = body.complete;
          }
          const all = [...progress.values()];
          const settled = all.reduce(
            (n, p) => n + (p.complete ? p.expected : Math.min(p.expected, p.persisted + p.deadLettered)),
            0,
          );
          const completeCount = all.filter((p) => p.complete).length;
          if (!out.json)
            out.progress(settled, total, `users settled, ${completeCount}/${all.length} batches complete`);
          if (completeCount === all.length) break;
          const { body: state } = await callApi<BackfillResponse>(
            'ingestion API',
            cfg.ingestionUrl,
            `/v1/backfills/${backfill.id}`,
            {
              headers: { 'x-api-key': cfg.apiKey },
              okStatuses: [200, 404],
            },
          );
          if (state.status === 'failed') {
            if (!out.json) out.endProgress();
            throw new CliError(
              `backfill ${backfill.id} failed in ingestion: ${state.error ?? 'no reason given'}`,
            );
          }
          if (Date.now() > deadline) {
            if (!out.json) out.endProgress();
            throw new CliError(
              `backfill ${backfill.id}: ${completeCount}/${all.length} batches complete after ${opts.timeout}s; ` +
                `\`sparkflow topics describe users.raw\` shows whether the consumers are lagging`,
            );
          }
          await sleep(500);
        }
        const seconds = (Date.now() - started) / 1000;
        const batches = [...progress.values()];
        if (out.json) return out.data({ id: backfill.id, seconds, batches });
        out.endProgress();
        out.table(batches, [
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
        out.note(`every batch complete in ${seconds.toFixed(1)} s`);
      },
    );
}
