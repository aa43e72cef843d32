import { logCorrelation } from '@sparkflow/telemetry';
import type { InboundMessage } from './inbound-message';
import { batchLogIds, inRecord, recordLogIds } from './record-context';

const TRACE_A = 'a'.repeat(32);
const TRACE_B = 'b'.repeat(32);

function record(eventId: string, batchId: string, traceId = TRACE_A): InboundMessage {
  return {
    topic: 'users.raw',
    partition: 0,
    offset: '7',
    key: null,
    value: null,
    headers: {
      'sparkflow-event-id': eventId,
      'sparkflow-batch-id': batchId,
      traceparent: `00-${traceId}-${'1'.repeat(16)}-01`,
    },
    timestamp: 0,
    traceHeaders: {},
  };
}

describe('record log context', () => {
  it("takes a record's event and batch ids from its envelope headers", () => {
    expect(recordLogIds(record('ev-1', 'batch-1'))).toEqual({ event_id: 'ev-1', batch_id: 'batch-1' });
    expect(recordLogIds({ ...record('x', 'y'), headers: {} })).toEqual({});
  });

  it('gives every log line written while a record is worked its ids, and none after', async () => {
    const seen = await inRecord(record('ev-2', 'batch-2'), async () => {
      await Promise.resolve();
      return logCorrelation();
    });
    expect(seen).toMatchObject({ event_id: 'ev-2', batch_id: 'batch-2' });
    expect(logCorrelation()).toEqual({});
  });

  it('gives a batch the ids its records share and leaves out those they do not', () => {
    expect(batchLogIds([record('ev-1', 'batch-1'), record('ev-2', 'batch-1')])).toEqual({
      batch_id: 'batch-1',
      trace_id: TRACE_A,
    });
    expect(batchLogIds([record('ev-1', 'batch-1'), record('ev-2', 'batch-2', TRACE_B)])).toEqual({});
    expect(batchLogIds([record('ev-1', 'batch-1', '0'.repeat(32))])).toEqual({ batch_id: 'batch-1' });
    expect(batchLogIds([])).toEqual({});
  });
});
