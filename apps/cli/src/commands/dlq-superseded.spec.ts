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
  // As users.dlq is read: oldest first.
  held = [first, second, other, third, unparsed];
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
    held = [first, second, other, third, unparsed];
    const text = await run(['--no-color', 'dlq', 'stats', '--since', SINCE]);
    expect(text.stdout).toMatch(/^dead letters +3$/m);
    expect(text.stdout).not.toContain('superseded');
    expect(text.stderr).toContain('2 older dead letter(s) of events dead-lettered again were passed over');
  });
});

interface Shown {
  dlqEventId: string;
  supersededBy: {
    dlqEventId: string;
    failedAt: string;
    stage: string;
    partition: number;
    offset: string;
  } | null;
}

describe('dlq show', () => {
  it('marks a letter whose event failed again since as superseded by the newest letter, in JSON', async () => {
    for (const older of [first, second]) {
      const { stdout, stderr } = await run(['--json', 'dlq', 'show', older.dlqEventId]);
      expect((JSON.parse(stdout) as Shown).supersededBy).toEqual({
        dlqEventId: third.dlqEventId,
        failedAt: third.deadLetter.failedAt,
        stage: 'persistence',
        partition: 0,
        offset: third.offset,
      });
      expect(stderr).toContain(
        `dead letter ${older.dlqEventId} is superseded: event ${EVENT} failed again since, as dead letter ` +
          `${third.dlqEventId} (${third.deadLetter.failedAt}, persistence)`,
      );
    }
  });

  it('marks no letter that is its event’s newest, nor one naming no event, nor one written twice', async () => {
    // The newest letter held by a second record, further along users.dlq: a copy, not a newer letter.
    held.push({ ...third, offset: '999' });
    for (const newest of [third, other, unparsed]) {
      const { stdout, stderr } = await run(['--json', 'dlq', 'show', newest.dlqEventId]);
      expect(JSON.parse(stdout) as Shown).toMatchObject({
        dlqEventId: newest.dlqEventId,
        supersededBy: null,
      });
      expect(stderr).not.toContain('superseded');
    }
  });

  it('says "superseded by" in the text, and on stderr with --original, whose stdout stays the value', async () => {
    const text = await run(['--no-color', 'dlq', 'show', first.dlqEventId]);
    expect(text.stdout).toMatch(
      new RegExp(
        `^superseded by {2}${third.dlqEventId} \\(users\\.dlq\\[0\\]@${third.offset}\\), failed ` +
          `${third.deadLetter.failedAt.replace(/\./g, '\\.')} at persistence$`,
        'm',
      ),
    );
    expect((await run(['--no-color', 'dlq', 'show', third.dlqEventId])).stdout).not.toContain('superseded');
    const original = await run(['--no-color', 'dlq', 'show', first.dlqEventId, '--original']);
    expect(original.stdout).toBe('{\n  "letter": 1\n}\n');
    expect(original.stderr).toContain(`is superseded: event ${EVENT} failed again since`);
  });

  it('takes the letter replay takes: the one it marks superseded is passed over, its newer one replayed', async () => {
    const replay = await run(['--json', 'dlq', 'replay', '--all', '--no-validate', '--dry-run']);
    const replayed = (JSON.parse(replay.stdout) as { replayed: { dlqEventId: string }[] }).replayed.map(
      (r) => r.dlqEventId,
    );
    for (const d of held) {
      const shown = JSON.parse((await run(['--json', 'dlq', 'show', d.dlqEventId])).stdout) as Shown;
      expect({ letter: d.dlqEventId, replayed: replayed.includes(d.dlqEventId) }).toEqual({
        letter: d.dlqEventId,
        replayed: shown.supersededBy === null,
      });
      if (shown.supersededBy) expect(replayed).toContain(shown.supersededBy.dlqEventId);
    }
  });
});

describe('dlq list', () => {
  const listed = async (args: string[]) =>
    (JSON.parse((await run(['--json', 'dlq', 'list', '--since', SINCE, ...args])).stdout) as Shown[]).map(
      (r) => [r.dlqEventId, r.supersededBy?.dlqEventId ?? null],
    );

  it('lists each event by its newest letter, none of them superseded', async () => {
    expect(await listed([])).toEqual([
      [other.dlqEventId, null],
      [third.dlqEventId, null],
      [unparsed.dlqEventId, null],
    ]);
  });

  it('with --superseded lists the older letters too, oldest first, marked with the letter replay takes', async () => {
    expect(await listed(['--superseded'])).toEqual([
      [first.dlqEventId, third.dlqEventId],
      [second.dlqEventId, third.dlqEventId],
      [other.dlqEventId, null],
      [third.dlqEventId, null],
      [unparsed.dlqEventId, null],
    ]);
    // --stage selects by each letter's own stage; the newer letter may be of another stage.
    expect(await listed(['--superseded', '--stage', 'enrichment'])).toEqual([
      [first.dlqEventId, third.dlqEventId],
      [second.dlqEventId, third.dlqEventId],
      [other.dlqEventId, null],
      [unparsed.dlqEventId, null],
    ]);
    expect(await listed(['--superseded', '--stage', 'persistence'])).toEqual([[third.dlqEventId, null]]);
  });

  it('with --superseded shows a SUPERSEDED BY column, and no longer notes them as left out', async () => {
    const plain = await run(['--no-color', 'dlq', 'list', '--since', SINCE]);
    expect(plain.stdout).not.toContain('SUPERSEDED BY');
    expect(plain.stderr).toContain('2 older dead letter(s) of events dead-lettered again were passed over');
    const { stdout, stderr } = await run(['--no-color', 'dlq', 'list', '--since', SINCE, '--superseded']);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/ {2}SUPERSEDED BY$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).at(-1))).toEqual([
      third.dlqEventId,
      third.dlqEventId,
      '-',
      '-',
      '-',
    ]);
    expect(stderr).not.toContain('older dead letter');
  });
});
