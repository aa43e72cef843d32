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
