import type { Command } from 'commander';
import { loadCliConfig, recordedStackTopology, type CliConfig } from './cli.config';
import { Output } from './output/output';

/** What every command gets: configuration from the environment and the output chosen by `--json`/TTY. */
export interface Context {
  cfg: CliConfig;
  out: Output;
}

export function contextOf(cmd: Command): Context {
  const opts = cmd.optsWithGlobals<{ json?: boolean; color?: boolean; auditKey?: string }>();
  const cfg = loadCliConfig(process.env, { auditKey: opts.auditKey }, recordedStackTopology);
  const tty = Boolean(process.stdout.isTTY);
  const color = opts.color !== false && cfg.color !== 'never' && (cfg.color === 'always' || tty);
  return { cfg, out: new Output({ json: Boolean(opts.json), color, tty }) };
}
