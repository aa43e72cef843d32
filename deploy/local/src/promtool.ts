import type { StackConfig } from './config';
import { debianProgram } from './debian';

/**
 * Prometheus's own `promtool`, from Debian's prometheus package (fetched into the cache on first use): checks a
 * configuration or rule file and runs rule unit tests (`promtool test rules <file>`) with Prometheus's PromQL
 * engine. Debian's is Prometheus 2.42 and Compose runs 3.5: a setting only 3.x knows would be refused here.
 * The arguments are promtool's, passed through untouched.
 */
export function promtoolCommand(cfg: StackConfig, args: string[]): { command: string; args: string[] } {
  const command = debianProgram(cfg.cache, 'prometheus', ['prometheus'], 'usr/bin/promtool');
  return { command, args };
}
