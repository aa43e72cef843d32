import type { KafkaMessage } from 'kafkajs';
import type { Directive, PartitionRange, RecordHandler } from '../kafka/reader';
import { buildProgram } from '../main';

/** A topic of 4 partitions of 10,000 records each, one a second, in partition-offset order. */
const PARTITIONS = [0, 1, 2, 3];
const SIZE = 10_000;
const delivered: number[] = [];

jest.mock('../kafka/connection', () => ({
  cliKafka: () => ({}),
  explainKafkaError: (_cfg: unknown, err: unknown) => {
    throw err;
  },
  withAdmin: (_cfg: unknown, _kafka: unknown, fn: (admin: unknown) => unknown) =>
    fn({
      fetchTopicOffsets: async () =>
        PARTITIONS.map((partition) => ({ partition, low: '0', high: String(SIZE), offset: String(SIZE) })),
      fetchTopicOffsetsByTimestamp: async () => PARTITIONS.map((partition) => ({ partition, offset: '0' })),
    }),
}));
jest.mock('../kafka/topics', () => ({
  ...jest.requireActual('../kafka/topics'),
  topicExists: async () => true,
}));
jest.mock('../kafka/reader', () => ({
  ...jest.requireActual('../kafka/reader'),
  // Hands each range's records over in offset order, as the consumer does, honouring the directives.
  readRanges: async (_kafka: unknown, _topic: string, ranges: PartitionRange[], handle: RecordHandler) => {
    const open = new Map(ranges.map((r) => [r.partition, r.from]));
    while (open.size) {
      for (const [p, at] of [...open]) {
        const range = ranges.find((r) => r.partition === p)!;
        if (at >= (range.to ?? BigInt(SIZE))) {
          open.delete(p);
          continue;
        }
        const m = {
          offset: at.toString(),
          timestamp: String(Date.parse('2026-11-30T00:00:00Z') + (Number(at) * 4 + p) * 1000),
          key: Buffer.from(`k${p}-${at}`),
          value: Buffer.from(JSON.stringify({ n: Number(at) })),
          headers: {},
        } as unknown as KafkaMessage;
        delivered.push(p);
        const d: Directive = await handle(p, m);
        if (d === 'stop') return;
        if (d === 'stop-partition') open.delete(p);
        else open.set(p, at + 1n);
      }
    }
  },
}));

async function tail(args: string[]): Promise<Array<{ partition: number; offset: string }>> {
  delivered.length = 0;
  let text = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    await buildProgram(() => undefined).parseAsync(['--json', 'topics', 'tail', 'users.enriched', ...args], {
      from: 'user',
    });
  } finally {
    write.mockRestore();
  }
  return (JSON.parse(text) as Array<{ partition: number; offset: string }>).map((r) => ({
    partition: r.partition,
    offset: r.offset,
  }));
}

describe('topics tail from an explicit start', () => {
  it('stops reading once --limit records have matched from --offset', async () => {
    expect(await tail(['--offset', '3:1200', '--limit', '1'])).toEqual([{ partition: 3, offset: '1200' }]);
    expect(delivered.length).toBeLessThanOrEqual(1);
  });

  it('keeps the first --limit records in time order from --from-beginning, reading only that far', async () => {
    expect(await tail(['--from-beginning', '--limit', '6'])).toEqual([
      { partition: 0, offset: '0' },
      { partition: 1, offset: '0' },
      { partition: 2, offset: '0' },
      { partition: 3, offset: '0' },
      { partition: 0, offset: '1' },
      { partition: 1, offset: '1' },
    ]);
    expect(delivered.length).toBeLessThanOrEqual(4 * 6);
  });

  it('still shows the newest --limit records without a start', async () => {
    const shown = await tail(['--limit', '2']);
    expect(shown).toEqual([
      { partition: 2, offset: String(SIZE - 1) },
      { partition: 3, offset: String(SIZE - 1) },
    ]);
  });
});
