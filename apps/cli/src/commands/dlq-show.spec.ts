import { SparkflowErrorCode, type DeadLetter } from '@sparkflow/contracts';
import fc from 'fast-check';
import type { DeadLetterRecord } from '../kafka/dead-letters';
import { runInProcess } from '../cli-runner';

const ID = '3f0c2a9e-8d1b-4c5e-9a7f-2b6d4e8c1a03';

/** The one dead letter users.dlq holds, as `readDeadLetters` finds it. */
let held: DeadLetterRecord;
jest.mock('../kafka/dead-letters', () => ({
  ...jest.requireActual('../kafka/dead-letters'),
  readDeadLetters: async () => ({ records: [held], unreadable: 0 }),
}));
jest.mock('../kafka/connection', () => ({
  ...jest.requireActual('../kafka/connection'),
  cliKafka: () => ({}),
}));

/** A dead letter of `original`, kept as users.dlq keeps it: UTF-8 as text, anything else as base64. */
function deadLetterOf(original: Buffer, reasons: DeadLetter['reasons'] = REASONS): DeadLetterRecord {
  const utf8 = Buffer.from(original.toString('utf8'), 'utf8').equals(original);
  return {
    dlqEventId: ID,
    partition: 0,
    offset: '7',
    source: 'push',
    batchId: 'b1',
    producedAt: '2026-12-03T00:00:00.000Z',
    deadLetter: {
      stage: 'ingestion',
      reasons,
      originalTopic: 'users.raw',
      partition: null,
      offset: null,
      key: null,
      originalEventId: null,
      originalBatchId: 'b1',
      payload: utf8 ? original.toString('utf8') : original.toString('base64'),
      payloadEncoding: utf8 ? 'utf8' : 'base64',
      attempts: 1,
      failedAt: '2026-12-03T00:00:00.000Z',
    },
  };
}

const REASONS: DeadLetter['reasons'] = [
  { code: SparkflowErrorCode.MalformedJson, path: '', message: 'the record is not JSON' },
  { code: SparkflowErrorCode.SchemaInvalid, path: null, message: 'no envelope' },
  { code: SparkflowErrorCode.SchemaInvalid, path: 'email', message: 'not an e-mail address' },
];

const run = runInProcess;

const showOriginal = async (original: Buffer) => {
  held = deadLetterOf(original);
  const r = await run(['--json', 'dlq', 'show', ID, '--original']);
  expect({ error: r.error, stderr: r.stderr }).toEqual({ error: undefined, stderr: '' });
  return r.stdout;
};

describe('sparkflow dlq show --original --json', () => {
  it.each<[string, Buffer, unknown]>([
    [
      'JSON',
      Buffer.from('{"eventId":"e1","payload":{"a":1}}'),
      { kind: 'json', json: { eventId: 'e1', payload: { a: 1 } } },
    ],
    ['a JSON string', Buffer.from('"just a string"'), { kind: 'json', json: 'just a string' }],
    ['a JSON number', Buffer.from('42'), { kind: 'json', json: 42 }],
    ['JSON null', Buffer.from('null'), { kind: 'json', json: null }],
    [
      'text that is not JSON',
      Buffer.from('name=Ada; not json'),
      { kind: 'text', text: 'name=Ada; not json' },
    ],
    ['empty', Buffer.alloc(0), { kind: 'text', text: '' }],
    ['JSON after a byte-order mark', Buffer.from('\ufeff{}'), { kind: 'text', text: '\ufeff{}' }],
    ['controls (ESC, C1)', Buffer.from('a\u001b[2J\u009bb'), { kind: 'text', text: 'a\u001b[2J\u009bb' }],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x80]), { kind: 'base64', base64: '//4AgA==' }],
    ['UTF-8 cut inside a character', Buffer.from('é').subarray(0, 1), { kind: 'base64', base64: 'ww==' }],
    ['an encoded surrogate (CESU-8)', Buffer.from([0xed, 0xa0, 0x80]), { kind: 'base64', base64: '7aCA' }],
  ])(
    'prints an original that is %s as one JSON document saying what it is',
    async (_what, original, expected) => {
      const stdout = await showOriginal(original);
      expect(JSON.parse(stdout)).toEqual(expected);
      // Nothing a terminal acts on, even in a text value: control characters are escaped in the JSON.
      expect([...stdout].filter((c) => c === '\u001b' || c === '\u009b')).toEqual([]);
    },
  );

  it('keeps a JSON original’s numbers as written', async () => {
    const stdout = await showOriginal(Buffer.from('{"id":12345678901234567890123,"x":1.50}'));
    expect(stdout).toBe('{"kind":"json","json":{"id":12345678901234567890123,"x":1.50}}\n');
  });

  it('prints a large original whole, as one line of JSON', async () => {
    const text = 'x'.repeat(900_000);
    const stdout = await showOriginal(Buffer.from(text));
    expect(stdout.split('\n')).toHaveLength(2);
    expect(JSON.parse(stdout)).toEqual({ kind: 'text', text });
  });

  it('prints any bytes as JSON that gives them back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        const original = Buffer.from(bytes);
        const shown = JSON.parse(await showOriginal(original)) as
          | { kind: 'json'; json: unknown }
          | { kind: 'text'; text: string }
          | { kind: 'base64'; base64: string };
        const back =
          shown.kind === 'base64'
            ? Buffer.from(shown.base64, 'base64')
            : Buffer.from(shown.kind === 'text' ? shown.text : original);
        expect(back.equals(original)).toBe(true);
        if (shown.kind === 'json') expect(shown.json).toEqual(JSON.parse(original.toString('utf8')));
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });

  it('without --json prints a text original as it is, and refuses one that is not UTF-8 (exit 1)', async () => {
    held = deadLetterOf(Buffer.from('name=Ada'));
    expect((await run(['dlq', 'show', ID, '--original'])).stdout).toBe('name=Ada\n');
    held = deadLetterOf(Buffer.from([0xff]));
    const r = await run(['dlq', 'show', ID, '--original']);
    expect({ stdout: r.stdout, error: (r.error as Error).message }).toEqual({
      stdout: '',
      error: 'the original value is not UTF-8; `dlq show --json` has it as base64',
    });
  });
});

describe('sparkflow dlq show', () => {
  it('prints a reason naming no part as its code and message, and one naming a field with the field', async () => {
    held = deadLetterOf(Buffer.from('{}'));
    const { stdout } = await run(['--no-color', 'dlq', 'show', ID]);
    const reasons = stdout
      .slice(stdout.indexOf('reasons\n') + 'reasons\n'.length)
      .split('\n')
      .slice(0, 3);
    expect(reasons).toEqual([
      '  MALFORMED_JSON the record is not JSON',
      '  SCHEMA_INVALID no envelope',
      '  SCHEMA_INVALID email not an e-mail address',
    ]);
  });
});
