import { SparkflowErrorCode, type DeadLetter } from '@sparkflow/contracts';
import fc from 'fast-check';
import type { DeadLetterRecord } from '../kafka/dead-letters';
import { runInProcess } from '../cli-runner';

/** What users.dlq holds, as `readDeadLetters` finds it. */
let held: DeadLetterRecord[] = [];
jest.mock('../kafka/dead-letters', () => ({
  ...jest.requireActual('../kafka/dead-letters'),
  readDeadLetters: async () => ({ records: held, unreadable: 0 }),
}));
jest.mock('../kafka/connection', () => ({
  ...jest.requireActual('../kafka/connection'),
  cliKafka: () => ({}),
}));

const CODES = [
  SparkflowErrorCode.SchemaInvalid,
  SparkflowErrorCode.SemanticInvalid,
  SparkflowErrorCode.MalformedJson,
];
const STAGES: DeadLetter['stage'][] = ['ingestion', 'enrichment', 'persistence'];

/** The dead letters failed in the minute after this; the commands read from an hour before it. */
const BASE = Date.now() - 120_000;
const SINCE = new Date(BASE - 3_600_000).toISOString();

/** Dead letter `i`: its own id, stage and reasons, failed a second after the one before. */
function letter(i: number, at: number): DeadLetterRecord {
  const failedAt = new Date(BASE + i * 1000).toISOString();
  return {
    dlqEventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    partition: 0,
    offset: String(at),
    source: 'http-push',
    batchId: 'b1',
    producedAt: failedAt,
    deadLetter: {
      stage: STAGES[i % STAGES.length],
      reasons: [{ code: CODES[i % CODES.length], message: 'bad', path: i % 2 ? 'email' : null }],
      originalTopic: 'users.raw',
      partition: null,
      offset: null,
      key: null,
      originalEventId: null,
      originalBatchId: 'b1',
      payload: '{}',
      payloadEncoding: 'utf8',
      attempts: 1,
      failedAt,
    },
  };
}

/** `sparkflow <args> --json`: the JSON it printed on stdout. */
async function json(args: string[]): Promise<unknown> {
  const { stdout, error } = await runInProcess([...args, '--json']);
  if (error) throw error;
  return JSON.parse(stdout);
}

describe('dlq list and dlq stats on a topic holding some dead letters more than once', () => {
  it('answer as if each were held once: a dead letter written again is one dead letter', async () => {
    await fc.assert(
      fc.asyncProperty(
        // How many records hold each dead letter (a send retried after the broker wrote it, an
        // Idempotency-Key retry), and the order the copies landed in.
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 12 }),
        fc.integer(),
        async (copies, seed) => {
          const once = copies.map((_, i) => letter(i, i));
          // Each later copy lands after its first record, anywhere among the rest.
          const repeated = copies.flatMap((n, i) =>
            Array.from({ length: n - 1 }, (_, k) => ({
              ...letter(i, 1000 + i * 10 + k),
              rank: (seed ^ (i * 31 + k)) >>> 0,
            })),
          );
          const answers = async (records: DeadLetterRecord[]) => {
            held = records;
            return [
              await json(['dlq', 'list', '--since', SINCE]),
              await json(['dlq', 'stats', '--since', SINCE]),
            ];
          };
          const landed = repeated.sort((a, b) => a.rank - b.rank).map(({ rank: _, ...r }) => r);
          expect(await answers([...once, ...landed])).toEqual(await answers(once));
        },
      ),
      { seed: 20261203, numRuns: 40 },
    );
  });
});
