import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  kind: number;
  startTime: string;
  durationMs: number;
  status: number;
  attributes: Record<string, unknown>;
}

/** The size a trace file grows to before it is moved aside, when no `maxBytes` is given. */
export const TRACE_FILE_MAX_BYTES = 100 * 1024 * 1024;

/**
 * Writes each finished span as one JSON line: readable with grep and jq, and by tests in other processes.
 * The file stays under `maxBytes`: an export that would take it over first moves it to `<file>.1` (the one
 * before is dropped), so a stack left running keeps at most twice that per service, the newest spans.
 */
export class FileSpanExporter implements SpanExporter {
  private size: number;

  constructor(
    private readonly file: string,
    private readonly service: string,
    private readonly maxBytes = TRACE_FILE_MAX_BYTES,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.size = sizeOf(file);
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      const lines = spans.map((s) => {
        const record: SpanRecord = {
          traceId: s.spanContext().traceId,
          spanId: s.spanContext().spanId,
          parentSpanId: s.parentSpanContext?.spanId ?? null,
          name: s.name,
          service: this.service,
          kind: s.kind,
          startTime: new Date(s.startTime[0] * 1000 + s.startTime[1] / 1e6).toISOString(),
          durationMs: s.duration[0] * 1000 + s.duration[1] / 1e6,
          status: s.status.code,
          attributes: s.attributes,
        };
        return JSON.stringify(record);
      });
      if (lines.length) this.append(`${lines.join('\n')}\n`);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    /* nothing buffered */
  }

  private append(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.size > 0 && this.size + bytes > this.maxBytes) {
      try {
        renameSync(this.file, `${this.file}.1`);
      } catch (err) {
        // Removed by hand meanwhile: there is nothing to move aside.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.size = 0;
    }
    appendFileSync(this.file, text);
    this.size += bytes;
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
