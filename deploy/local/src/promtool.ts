import type { StackConfig } from './config';
import { debianProgram } from './debian';

/**
 * Prometheus's own `promtool`, from Debian's prometheus package (fetched into the cache on first use): checks a
 * configuration or rule file and runs rule unit tests (`promtool test rules <file>`) with the PromQL engine
 * the server evaluates alerts with. The arguments are promtool's, passed through untouched.
 */
export function promtoolCommand(cfg: StackConfig, args: string[]): { command: string; args: string[] } {
  const command = debianProgram(
    cfg.cache,
    'prometheus',
    ['prometheus'],
    'usr/bin/promtool',
    'apt-get install -y prometheus',
  );
  return { command, args };
}
