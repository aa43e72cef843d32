import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { bodyIsEmpty, jsonBodyOptions } from './json-body';

describe('bodyIsEmpty, behind the JSON parser of jsonBodyOptions', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const app = express();
    app.use(express.json(jsonBodyOptions('1kb')));
    app.post('/', (req, res) => {
      res.json({ empty: bodyIsEmpty(req as IncomingMessage), body: req.body ?? null });
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (headers: Record<string, string>, body?: Buffer | string) =>
    new Promise<{ empty: boolean; body: unknown }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('tells an empty JSON body from {} (the parser makes {} of both)', async () => {
    const json = { 'content-type': 'application/json' };
    expect(await send({ ...json, 'content-length': '0' }, '')).toEqual({ empty: true, body: {} });
    expect(await send({ ...json, 'content-length': '2' }, '{}')).toEqual({ empty: false, body: {} });
  });

  it('reads a gzip-encoded body as its decompressed size, and parses it as before', async () => {
    const gzip = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    expect(await send(gzip, gzipSync(''))).toEqual({ empty: true, body: {} });
    expect(await send(gzip, gzipSync('[1]'))).toEqual({ empty: false, body: [1] });
  });

  it('judges a body the parser did not read by its headers', async () => {
    expect(await send({ 'content-type': 'text/plain', 'content-length': '4' }, 'null')).toEqual({
      empty: false,
      body: null,
    });
    expect(await send({ 'content-type': 'text/plain', 'content-length': '0' }, '')).toEqual({
      empty: true,
      body: null,
    });
    expect(await send({ 'transfer-encoding': 'chunked' }, 'x')).toEqual({ empty: false, body: null });
    expect(await send({})).toEqual({ empty: true, body: null });
  });
});
