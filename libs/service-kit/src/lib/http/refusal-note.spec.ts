import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { pinoHttp } from 'pino-http';
import { serviceLoggerOptions } from '../observability/service-logger';
import { noteRefusals, refusalNote } from './refusal-note';

describe("the request log line of a 4xx, with the service's pino-http options", () => {
  // Each request's line, handed to whoever waits for it (pino-http writes it as the response finishes).
  let written: (line: Record<string, unknown>) => void = () => undefined;
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as Record<string, unknown>;
      if (line['msg'] === 'request completed') written(line);
      done();
    },
  });
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use(pinoHttp({ ...serviceLoggerOptions('spec', 'info'), stream }));
    app.use(noteRefusals);
    app.post('/refused', (_req, res) => {
      res.status(400).json({
        statusCode: 400,
        message: 'invalid request',
        errors: ['Seed', 'count', 'a', 'b', 'c', 'd', 'x'.repeat(500)].map((path) => ({
          path,
          message: `the secret value of ${path}`,
        })),
      });
    });
    app.get('/fine', (_req, res) => void res.json({ message: 'all is well' }));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The log line of the request `send` makes. */
  const lineOf = async (send: () => Promise<Response>) => {
    const line = new Promise<Record<string, unknown>>((resolve) => (written = resolve));
    await (await send()).text();
    return line;
  };

  it("carries the answer's message and its first error paths, clipped, never their messages", async () => {
    const line = await lineOf(() => fetch(`${url}/refused`, { method: 'POST' }));
    expect(line).toMatchObject({
      level: 40,
      res: { statusCode: 400 },
      refusal: { message: 'invalid request', paths: ['Seed', 'count', 'a', 'b', 'c'], morePaths: 2 },
    });
    expect(JSON.stringify(line)).not.toContain('secret');
  });

  it('adds nothing to the line of a request that was not refused', async () => {
    const line = await lineOf(() => fetch(`${url}/fine`));
    expect(line).toMatchObject({ level: 30, res: { statusCode: 200 } });
    expect(line).not.toHaveProperty('refusal');
  });
});

describe('refusalNote', () => {
  it("clips a long message and a long path, and reads Nest's list of messages", () => {
    const note = refusalNote(
      JSON.stringify({ message: 'm'.repeat(1000), errors: [{ path: 'p'.repeat(300) }] }),
    );
    expect(note?.message).toHaveLength(201);
    expect(note?.paths[0]).toHaveLength(101);
    expect(refusalNote(JSON.stringify({ message: ['a is bad', 'b is bad'] }))).toEqual({
      message: 'a is bad; b is bad',
      paths: [],
    });
    expect(refusalNote('not json')).toBeUndefined();
    expect(refusalNote('[1]')).toBeUndefined();
  });

  it("reads the error model's reasons as it reads errors, leaving out a reason about no field", () => {
    const reasons = (paths: (string | null)[]) =>
      paths.map((path) => ({ code: 'SCHEMA_INVALID', message: 'bad', path }));
    expect(
      refusalNote(
        JSON.stringify({
          statusCode: 400,
          code: 'SCHEMA_INVALID',
          message: 'batchId: bad',
          reasons: reasons(['batchId', null]),
        }),
      ),
    ).toEqual({ message: 'batchId: bad', paths: ['batchId'] });
    expect(
      refusalNote(JSON.stringify({ message: 'many', reasons: reasons(['a', 'b', 'c', 'd', 'e', 'f', 'g']) })),
    ).toEqual({ message: 'many', paths: ['a', 'b', 'c', 'd', 'e'], morePaths: 2 });
  });

  it('names each fault once when the answer carries errors beside its reasons', () => {
    const faults = [
      { path: 'email', message: 'bad' },
      { path: 'nat', message: 'bad' },
    ];
    const answer = {
      statusCode: 400,
      code: 'SCHEMA_INVALID',
      message: 'invalid users',
      reasons: faults.map((f) => ({ code: 'SCHEMA_INVALID', ...f })),
      errors: faults,
    };
    expect(refusalNote(JSON.stringify(answer))).toEqual({
      message: 'invalid users',
      paths: ['email', 'nat'],
    });
  });
});
