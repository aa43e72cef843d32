import { SparkflowErrorCode, type DeadLetter } from '@sparkflow/contracts';
import fc from 'fast-check';
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

/** The values a real `dlq replay` published, in order. */
let published: string[] = [];
jest.mock('@sparkflow/kafka', () => {
  const actual = jest.requireActual('@sparkflow/kafka');
  return {
    ...actual,
    EventProducer: class {
      async sendRecords(_topic: string, records: readonly { value: Buffer | string | null }[]) {
        return records.map((r) => {
          published.push(String(r.value));
          return { partition: 0, baseOffset: String(published.length) };
        });
      }
      async disconnect() {
        return undefined;
      }
    },
  };
});

const STAGES: DeadLetter['stage'][] = ['enrichment', 'persistence'];

/** The dead letters failed in the hour after this; the commands read from an hour before it. */
const BASE = Date.now() - 3_600_000;
const SINCE = new Date(BASE - 3_600_000).toISOString();

const uuid = (kind: number, n: number) =>
  `00000000-0000-4000-${String(8000 + kind)}-${String(n).padStart(12, '0')}`;

/**
 * Letter `j` of original event `i`: the event's j-th failure (its record replayed j times), a minute after
 * the one before and further along the event's partition of users.dlq. An event without an id is a record
 * that never parsed: it has one letter.
 */
function letter(i: number, j: number, named: boolean, stage: DeadLetter['stage']): DeadLetterRecord {
  const failedAt = new Date(BASE + j * 60_000 + i * 1000).toISOString();
  return {
    dlqEventId: uuid(1, i * 100 + j),
    partition: i % 3,
    offset: String(10 + j * 100 + i),
    source: 'http-push',
    batchId: 'b1',
    producedAt: failedAt,
    deadLetter: {
      stage,
      reasons: [{ code: SparkflowErrorCode.SemanticInvalid, message: 'bad', path: 'payload.dob.date' }],
      originalTopic: 'users.raw',
      partition: 0,
      offset: String(j),
      key: null,
      originalEventId: named ? uuid(2, i) : null,
      originalBatchId: 'b1',
      payload: JSON.stringify({ event: i, attempt: j }),
      payloadEncoding: 'utf8',
      attempts: 1,
      failedAt,
    },
  };
}

/** `sparkflow <args> --json`: the JSON it printed on stdout, and its stderr. */
async function json<T>(args: string[]): Promise<{ data: T; stderr: string }> {
  const { stdout, stderr, error } = await runInProcess([...args, '--json']);
  if (error) throw error;
  return { data: JSON.parse(stdout) as T, stderr };
}

const ids = (rows: readonly { dlqEventId: string }[]) => rows.map((r) => r.dlqEventId).sort();

describe('dlq replay, list and stats on events dead-lettered again after a replay', () => {
  it('select each original event once, by its newest dead letter, in any landing order', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Per original event: whether it has an id, and per letter (one per failure) its stage and how many
        // records hold it (a send retried after the broker wrote it).
        fc.array(
          fc.record({
            named: fc.boolean(),
            letters: fc.array(
              fc.record({ stage: fc.constantFrom(...STAGES), copies: fc.integer({ min: 1, max: 3 }) }),
              { minLength: 1, maxLength: 4 },
            ),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer(),
        async (events, seed) => {
          const newest: DeadLetterRecord[] = [];
          const records: (DeadLetterRecord & { rank: number })[] = [];
          events.forEach(({ named, letters }, i) => {
            const failures = named ? letters : letters.slice(0, 1);
            failures.forEach(({ stage, copies }, j) => {
              const first = letter(i, j, named, stage);
              for (let k = 0; k < copies; k++) {
                // A later copy sits further along users.dlq, failed at the same time.
                const copy = { ...first, offset: String(Number(first.offset) + 1000 * k) };
                records.push({ ...copy, rank: Math.imul(seed ^ records.length, 2654435761) >>> 0 });
              }
              if (j === failures.length - 1) newest.push(first);
            });
          });
          held = records.sort((a, b) => a.rank - b.rank).map(({ rank: _, ...r }) => r);

          // A dry run and the real run select the same letters: each event's newest, once.
          const dry = await json<{ replayed: { dlqEventId: string }[] }>([
            'dlq',
            'replay',
            '--all',
            '--no-validate',
            '--dry-run',
          ]);
          expect(ids(dry.data.replayed)).toEqual(ids(newest));
          published = [];
          const real = await json<{ replayed: { dlqEventId: string }[] }>([
            'dlq',
            'replay',
            '--batch',
            'b1',
            '--no-validate',
          ]);
          expect(ids(real.data.replayed)).toEqual(ids(newest));
          expect(published.sort()).toEqual(newest.map((d) => d.deadLetter.payload).sort());
          // Naming every letter of an event replays it once too.
          const named = await json<{ replayed: { dlqEventId: string }[] }>([
            'dlq',
            'replay',
            ...held.flatMap((d) => ['--event', d.dlqEventId]),
            '--no-validate',
            '--dry-run',
          ]);
          expect(ids(named.data.replayed)).toEqual(ids(newest));

          // list and stats count each event once, as the audit's deadLettered does, under its newest stage.
          const list = await json<DeadLetterRecord[]>(['dlq', 'list', '--since', SINCE]);
          expect(ids(list.data)).toEqual(ids(newest));
          const stats = await json<{ total: number; superseded: number; byStage: Record<string, number> }>([
            'dlq',
            'stats',
            '--since',
            SINCE,
          ]);
          expect(stats.data.total).toBe(newest.length);
          for (const stage of STAGES) {
            const ofStage = newest.filter((d) => d.deadLetter.stage === stage);
            expect(stats.data.byStage[stage] ?? 0).toBe(ofStage.length);
            const listed = await json<DeadLetterRecord[]>([
              'dlq',
              'list',
              '--since',
              SINCE,
              '--stage',
              stage,
            ]);
            expect(ids(listed.data)).toEqual(ids(ofStage));
          }

          // `dlq show` marks every other letter superseded, by its event's newest: the one replayed.
          const newestOfEvent = new Map(
            newest.map((d) => [d.deadLetter.originalEventId ?? d.dlqEventId, d.dlqEventId]),
          );
          for (const id of new Set(held.map((d) => d.dlqEventId))) {
            const d = held.find((r) => r.dlqEventId === id)!;
            const shown = await json<{ supersededBy: { dlqEventId: string } | null }>(['dlq', 'show', id]);
            const newestId = newestOfEvent.get(d.deadLetter.originalEventId ?? id);
            expect({ id, supersededBy: shown.data.supersededBy?.dlqEventId ?? null }).toEqual({
              id,
              supersededBy: newestId === id ? null : newestId,
            });
          }

          // `dlq list --superseded` lists every letter once, marked as `dlq show` marks it.
          const all = await json<{ dlqEventId: string; supersededBy: { dlqEventId: string } | null }[]>([
            'dlq',
            'list',
            '--since',
            SINCE,
            '--superseded',
          ]);
          expect(ids(all.data)).toEqual([...new Set(held.map((d) => d.dlqEventId))].sort());
          for (const row of all.data) {
            const d = held.find((r) => r.dlqEventId === row.dlqEventId)!;
            const newestId = newestOfEvent.get(d.deadLetter.originalEventId ?? d.dlqEventId);
            expect(row.supersededBy?.dlqEventId ?? null).toBe(newestId === d.dlqEventId ? null : newestId);
          }

          // What was passed over is said on stderr, and counted in stats' JSON.
          const older = new Set(held.map((d) => d.dlqEventId)).size - newest.length;
          expect(stats.data.superseded).toBe(older);
          if (older)
            expect(list.stderr).toContain(`${older} older dead letter(s) of events dead-lettered again`);
          else expect(list.stderr).not.toContain('older dead letter');
        },
      ),
      { seed: 20261204, numRuns: 40 },
    );
  });
});

describe('superseded dead letters: dlq stats counts them, dlq show and list mark them', () => {
  async function run(args: string[]) {
    const r = await runInProcess(args);
    if (r.error) throw r.error;
    return r;
  }

  // Event 0 failed, was replayed unfixed and failed twice more (the last time at persistence); event 1 and a
  // record that never parsed (2) failed once.
  const first = letter(0, 0, true, 'enrichment');
  const second = letter(0, 1, true, 'enrichment');
  const third = letter(0, 2, true, 'persistence');
  const other = letter(1, 0, true, 'enrichment');
  const unparsed = letter(2, 0, false, 'enrichment');
  const EVENT = first.deadLetter.originalEventId;

  beforeEach(() => {
    // As users.dlq is read: oldest first.
    held = [first, other, unparsed, second, third];
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
      held = [other, unparsed, third];
      const { stdout, stderr } = await run(['--json', 'dlq', 'stats', '--since', SINCE]);
      expect(JSON.parse(stdout)).toMatchObject({ total: 3, superseded: 0 });
      expect(stderr).toBe('');
      held = [first, other, unparsed, second, third];
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
      expect(original.stdout).toBe('{\n  "event": 0,\n  "attempt": 0\n}\n');
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
        [unparsed.dlqEventId, null],
        [third.dlqEventId, null],
      ]);
    });

    it('with --superseded lists the older letters too, oldest first, marked with the letter replay takes', async () => {
      expect(await listed(['--superseded'])).toEqual([
        [first.dlqEventId, third.dlqEventId],
        [other.dlqEventId, null],
        [unparsed.dlqEventId, null],
        [second.dlqEventId, third.dlqEventId],
        [third.dlqEventId, null],
      ]);
      // --stage selects by each letter's own stage; the newer letter may be of another stage.
      expect(await listed(['--superseded', '--stage', 'enrichment'])).toEqual([
        [first.dlqEventId, third.dlqEventId],
        [other.dlqEventId, null],
        [unparsed.dlqEventId, null],
        [second.dlqEventId, third.dlqEventId],
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
        '-',
        '-',
        third.dlqEventId,
        '-',
      ]);
      expect(stderr).not.toContain('older dead letter');
    });
  });
});
