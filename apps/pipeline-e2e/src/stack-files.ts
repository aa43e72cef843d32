import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpanRecord } from '@sparkflow/telemetry';
import { settings } from './pipeline-client';

/**
 * The lines of one of the native stack's files under its home that contain `text`, the file moved aside at
 * its size cap (`<file>.1`) first (none when neither is there).
 */
function linesWith(relativePath: string, text: string): string[] {
  const file = join(settings.SPARKFLOW_HOME, relativePath);
  return [`${file}.1`, file]
    .filter((f) => existsSync(f))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
    .filter((line) => line.includes(text));
}

/** The spans a service exported for a trace (`<home>/traces/<service>.jsonl`). */
export function exportedSpans(service: string, traceId: string): SpanRecord[] {
  return linesWith(join('traces', `${service}.jsonl`), traceId).map((line) => JSON.parse(line) as SpanRecord);
}

/** The JSON lines of a service's log (`<home>/logs/<service>.log`) that mention `text`. */
export function logLines(service: string, text: string): Record<string, unknown>[] {
  return linesWith(join('logs', `${service}.log`), text)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
