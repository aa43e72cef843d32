import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { contextOf } from '../context';
import { cliKafka } from '../kafka/connection';
import { TopState, type TopView } from '../top/top-model';
import { renderTop } from '../top/top-render';
import { TopSampler } from '../top/top-sampler';
import type { Style } from '../output/output';
import { MAX_INTERVAL_MS, parsePositiveInt } from './options';

interface TopOptions {
  interval: number;
  stallAfter?: number;
  once?: boolean;
}

export function topCommand(): Command {
  return new Command('top')
    .description(
      'a live view of the pipeline, refreshed every second: records/s per stage, lag in messages and seconds, ' +
        "dead letters per minute, batches in flight, each service's health and restarts; a stalled group stands out",
    )
    .option(
      '--interval <ms>',
      `refresh every this many milliseconds (at most ${MAX_INTERVAL_MS})`,
      parsePositiveInt('--interval', MAX_INTERVAL_MS),
      1000,
    )
    .option(
      '--stall-after <seconds>',
      'a group with records behind a committed offset unmoved for this long (while watching) is stalled ' +
        '(default: KAFKA_STALL_AFTER_S, 60)',
      parsePositiveInt('--stall-after'),
    )
    .option(
      '--once',
      'print one view (two samples, --interval apart) and exit; the default when not on a terminal',
    )
    .addHelpText(
      'after',
      `
Keys: q (or Ctrl-C) quits. Narrow terminals drop the least important columns first; a component that does
not answer is shown as down (or "?") while the rest keeps updating.

On the cluster topology every replica is probed on its own port (the service's + 100 per replica, not
HAProxy): HEALTH shows how many are ready ("1/2 ready", the detail naming the others), counters and
restarts are summed over the replicas, and --json lists each replica. A <SERVICE>_URL probes that one URL.

Examples:
  $ sparkflow top
  $ sparkflow top --once --json | jq '.stages[] | {stage, recordsPerSec, lagSeconds}'`,
    )
    .action(async (opts: TopOptions, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const sampler = new TopSampler(cfg, cliKafka(cfg));
      const stallAfter = opts.stallAfter ?? cfg.stallAfterSeconds;
      const state = new TopState(cfg.groups, stallAfter * 1000);
      const paint = (style: Style, text: string) => out.paint(style, text);
      const context = { kafka: cfg.kafkaBrokers.join(','), stallAfterSeconds: stallAfter };
      const interactive =
        !opts.once && !out.json && Boolean(process.stdout.isTTY) && Boolean(process.stdin.isTTY);
      try {
        if (!interactive) {
          state.next(await sampler.sample());
          await sleep(opts.interval);
          const view = state.next(await sampler.sample());
          if (out.json) return out.data(view);
          for (const l of renderTop(view, process.stdout.columns || 120, paint, context)) out.line(l);
          return;
        }
        await live(sampler, state, opts.interval, (view) =>
          renderTop(view, process.stdout.columns || 80, paint, context),
        );
      } finally {
        await sampler.close();
      }
    });
}

/** The full-screen loop: the alternate screen, no cursor, keys read raw; everything restored on the way out. */
async function live(
  sampler: TopSampler,
  state: TopState,
  intervalMs: number,
  render: (v: TopView) => string[],
): Promise<void> {
  const stdin = process.stdin;
  const write = (s: string) => process.stdout.write(s);
  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  let done = false;
  const onKey = (key: Buffer) => {
    const k = key.toString('utf8');
    if (k === 'q' || k === 'Q' || k === '\u0003') {
      done = true;
      quit();
    }
  };
  const onSignal = () => {
    done = true;
    quit();
  };
  write('\u001b[?1049h\u001b[?25l');
  stdin.setRawMode(true);
  stdin.resume();
  stdin.on('data', onKey);
  process.once('SIGTERM', onSignal);
  try {
    while (!done) {
      const started = Date.now();
      const view = state.next(
        (await Promise.race([sampler.sample(), quitting.then(() => null)])) ?? (await sampler.sample()),
      );
      if (done) break;
      const rows = process.stdout.rows || 24;
      const lines = render(view).slice(0, rows - 1);
      write(`\u001b[H${lines.map((l) => `${l}\u001b[K`).join('\n')}\n\u001b[J`);
      await Promise.race([sleep(Math.max(0, intervalMs - (Date.now() - started))), quitting]);
    }
  } finally {
    stdin.off('data', onKey);
    process.off('SIGTERM', onSignal);
    stdin.setRawMode(false);
    stdin.pause();
    write('\u001b[?25h\u001b[?1049l');
  }
}
