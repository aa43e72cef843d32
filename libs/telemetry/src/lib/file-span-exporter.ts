import { appendFileSync, mkdirSync } from 'node:fs';
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

/** Writes each finished span as one JSON line: readable with grep and jq, and by tests in other processes. */
export class FileSpanExporter implements SpanExporter {
  constructor(
    private readonly file: string,
    private readonly service: string,
  ) {
    mkdirSync(dirname(file), { recursive: true });
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
      if (lines.length) appendFileSync(this.file, `${lines.join('\n')}\n`);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    /* nothing buffered */
  }
}
