import { Writable } from 'node:stream';
import { context } from '@opentelemetry/api';
import pino from 'pino';
import { inRecordContext } from '@sparkflow/telemetry';
import { serviceLoggerOptions } from './service-logger';

describe('serviceLoggerOptions', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const options = serviceLoggerOptions('enrichment', 'info') as pino.LoggerOptions;
  const log = pino(options, sink);
  beforeEach(() => (lines.length = 0));

  it("writes one JSON line per entry with the service and the record's ids", () => {
    inRecordContext(context.active(), { event_id: 'ev-1', batch_id: 'batch-1' }, () =>
      log.warn('dead-lettered'),
    );
    expect(lines).toEqual([
      expect.objectContaining({
        service: 'enrichment',
        msg: 'dead-lettered',
        event_id: 'ev-1',
        batch_id: 'batch-1',
      }),
    ]);
    expect(lines[0]['time']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('keeps per-record debug lines out at info', () => {
    log.debug('processed users.raw[0] offset 1');
    expect(lines).toEqual([]);
  });

  it('logs a request by method, path and status, never its headers', () => {
    const req = { id: 1, method: 'POST', url: '/v1/users', headers: { 'x-api-key': 'secret-key-1234' } };
    const line = options.serializers?.['req']?.(req) as Record<string, unknown>;
    expect(line).toEqual({ id: 1, method: 'POST', url: '/v1/users' });
    expect(JSON.stringify(line)).not.toContain('secret-key-1234');
  });
});
