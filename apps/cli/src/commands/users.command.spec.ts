import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildProgram } from '../main';

jest.mock('@sparkflow/cassandra', () => ({
  createCassandraClient: () => ({ connect: async () => undefined, shutdown: async () => undefined }),
  findUserRow: async () => null,
}));

const USER = '7a1d5c3e-2b4f-4e8a-9c6d-0f1e2a3b4c5d';
/** A dead letter's reasons: one about the whole record (path ""), one naming no part (null), one a field. */
const REASONS = [
  { code: 'MALFORMED_JSON', path: '', message: 'the record is not JSON' },
  { code: 'SCHEMA_INVALID', path: null, message: 'no envelope' },
  { code: 'SCHEMA_INVALID', path: 'email', message: 'not an e-mail address' },
];

describe('users get, for a person with more history than it shows', () => {
  // An audit holding `held` rows of the person, answering the newest `limit` as GET /v1/users/:id/history does.
  const held = 250;
  const asked: URLSearchParams[] = [];
  const srv: Server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://audit').searchParams;
    asked.push(query);
    const limit = Number(query.get('limit') ?? '100');
    const events = Array.from({ length: Math.min(limit, held) }, (_, i) => ({
      eventId: '5f0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b',
      topic: 'users.raw',
      outcome: 'ingested',
      batchId: `b-${i}`,
      recordedAt: '2026-12-02T00:00:00.000Z',
      reasons: i === 0 ? REASONS : null,
    }));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ userId: USER, events, truncated: held > limit }));
  });
  const saved = process.env['AUDIT_URL'];
  beforeAll(
    () =>
      new Promise<void>((r) =>
        srv.listen(0, '127.0.0.1', () => {
          process.env['AUDIT_URL'] = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
          r();
        }),
      ),
  );
  afterAll(() => {
    process.env['AUDIT_URL'] = saved;
    return new Promise<void>((r) => srv.close(() => r()));
  });

  async function run(args: string[]): Promise<string> {
    let printed = '';
    const capture = (chunk: string | Uint8Array) => ((printed += chunk.toString()), true);
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    try {
      await buildProgram(() => undefined).parseAsync(args, { from: 'user' });
    } finally {
      out.mockRestore();
    }
    return printed;
  }

  it('says the history was cut, in JSON and on screen, and asks for the --limit given', async () => {
    const json = JSON.parse(await run(['--json', 'users', 'get', USER, '--limit', '5']));
    expect(asked.at(-1)?.get('limit')).toBe('5');
    expect(json.history).toHaveLength(5);
    expect(json.historyTruncated).toBe(true);

    const screen = await run(['--no-color', 'users', 'get', USER]);
    expect(asked.at(-1)?.get('limit')).toBe('100');
    expect(screen).toContain('the newest 100 rows; older ones left out (--limit up to 1000)');

    const whole = JSON.parse(await run(['--json', 'users', 'get', USER, '--limit', '1000']));
    expect(whole.history).toHaveLength(held);
    expect(whole.historyTruncated).toBe(false);
  });

  it('prints a reason naming no part as its code and message, and one naming a field with the field', async () => {
    const screen = await run(['--no-color', 'users', 'get', USER, '--limit', '1']);
    expect(screen.split('\n').filter((l) => /^ {2}[A-Z_]+ /.test(l))).toEqual([
      '  MALFORMED_JSON the record is not JSON',
      '  SCHEMA_INVALID no envelope',
      '  SCHEMA_INVALID email not an e-mail address',
    ]);
  });
});
