import { SparkflowErrorCode, type DeadLetter } from '@sparkflow/contracts';
import type { DeadLetterFilter, DeadLetterRecord } from '../kafka/dead-letters';
import { runInProcess } from '../cli-runner';

/** What users.dlq holds; `readDeadLetters` finds those its filter matches. */
let held: DeadLetterRecord[] = [];
jest.mock('../kafka/dead-letters', () => {
  const actual = jest.requireActual('../kafka/dead-letters');
  return {
    ...actual,
    readDeadLetters: async (_cfg: unknown, _kafka: unknown, filter: DeadLetterFilter) => ({
      records: held.filter((d) => actual.matchesFilter(d, filter)),
      unreadable: 0,
    }),
  };
});
jest.mock('../kafka/connection', () => ({
  ...jest.requireActual('../kafka/connection'),
  cliKafka: () => ({}),
}));

const BASE = Date.now() - 600_000;
const SINCE = new Date(BASE - 600_000).toISOString();
const EVENT = '00000000-0000-4000-8002-000000000001';
const OTHER_EVENT = '00000000-0000-4000-8002-000000000002';
const letterId = (n: number) => `00000000-0000-4000-8001-${String(n).padStart(12, '0')}`;

/** A dead letter of `event` (null: a record that never parsed) that failed `minutes` after BASE. */
function letter(
  n: number,
  event: string | null,
  minutes: number,
  stage: DeadLetter['stage'] = 'enrichment',
): DeadLetterRecord {
  const failedAt = new Date(BASE + minutes * 60_000).toISOString();
  return {
    dlqEventId: letterId(n),
    partition: 0,
    offset: String(10 + n),
    source: 'http-push',
    batchId: 'b1',
    producedAt: failedAt,
    deadLetter: {
      stage,
      reasons: [{ code: SparkflowErrorCode.SemanticInvalid, message: 'bad', path: 'payload.dob.date' }],
      originalTopic: 'users.raw',
      partition: 0,
      offset: String(n),
      key: null,
      originalEventId: event,
      originalBatchId: 'b1',
      payload: JSON.stringify({ letter: n }),
      payloadEncoding: 'utf8',
      attempts: 1,
      failedAt,
    },
  };
}

async function run(args: string[]) {
  const r = await runInProcess(args);
  if (r.error) throw r.error;
  return r;
}

// EVENT failed, was replayed unfixed and failed twice more (the last time at persistence); OTHER_EVENT and a
// record that never parsed failed once.
const first = letter(1, EVENT, 0);
const second = letter(2, EVENT, 1);
const third = letter(3, EVENT, 2, 'persistence');
const other = letter(4, OTHER_EVENT, 1);
const unparsed = letter(5, null, 3);

beforeEach(() => {
  held = [first, second, third, other, unparsed];
});

describe('dlq stats --json', () => {
  it('counts the superseded dead letters apart from the events it counts', async () => {
    const { stdout, stderr } = await run(['--json', 'dlq', 'stats', '--since', SINCE]);
    expect(JSON.parse(stdout)).toMatchObject({
      total: 3,
      superseded: 2,
      byStage: { enrichment: 2, persistence: 1 },
    });
    expect(stderr).toContain('2 older dead letter(s) of events dead-lettered again were passed over');
  });

  it('counts the superseded dead letters of the stage asked for', async () => {
    const enrichment = JSON.parse(
      (await run(['--json', 'dlq', 'stats', '--since', SINCE, '--stage', 'enrichment'])).stdout,
    );
    expect(enrichment).toMatchObject({ total: 2, superseded: 2, byStage: { enrichment: 2 } });
    const persistence = JSON.parse(
      (await run(['--json', 'dlq', 'stats', '--since', SINCE, '--stage', 'persistence'])).stdout,
    );
    expect(persistence).toMatchObject({ total: 1, superseded: 0, byStage: { persistence: 1 } });
  });

  it('says 0 when no event was dead-lettered again, and the text output only notes what there is', async () => {
    held = [third, other, unparsed];
    const { stdout, stderr } = await run(['--json', 'dlq', 'stats', '--since', SINCE]);
    expect(JSON.parse(stdout)).toMatchObject({ total: 3, superseded: 0 });
    expect(stderr).toBe('');
    held = [first, second, third, other, unparsed];
    const text = await run(['--no-color', 'dlq', 'stats', '--since', SINCE]);
    expect(text.stdout).toMatch(/^dead letters +3$/m);
    expect(text.stdout).not.toContain('superseded');
    expect(text.stderr).toContain('2 older dead letter(s) of events dead-lettered again were passed over');
  });
});
