import { RandomUserResponse } from '@sparkflow/contracts';
import { generateResponse } from '../synthetic/user.generator';
import { startFixtureServer, type FixtureServer } from './fixture.server';

describe('startFixtureServer', () => {
  let server: FixtureServer;
  afterEach(() => server.close());

  it('listens on 127.0.0.1 under /api/ and serves the generator’s response for the query', async () => {
    server = await startFixtureServer();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);

    const res = await fetch(`${server.url}?results=4&seed=fixture&page=3&nat=gb,ca`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual(
      generateResponse({ seed: 'fixture', count: 4, page: 3, nat: ['GB', 'CA'] }),
    );
  });

  it('answers like the API when parameters are missing or unknown: one user, an invented seed, unknown nats ignored', async () => {
    server = await startFixtureServer();
    const body = RandomUserResponse.parse(await (await fetch(`${server.url}?nat=xx,ie`)).json());
    expect(body.results).toHaveLength(1);
    expect(body.results[0].nat).toBe('IE');
    expect(body.info.seed).toMatch(/^[0-9a-f]{16}$/);
  });

  it('consumes scripted faults one per request, in order, then answers normally', async () => {
    server = await startFixtureServer({ faults: ['429', '500', 'garbage'] });
    const url = `${server.url}?results=1&seed=s`;

    const tooMany = await fetch(url);
    expect([tooMany.status, tooMany.headers.get('retry-after')]).toEqual([429, '1']);
    await tooMany.text();
    const broken = await fetch(url);
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ error: expect.stringContaining('something has gone wrong') });
    const garbage = await fetch(url);
    expect(garbage.status).toBe(200);
    await expect(garbage.json()).rejects.toThrow(/JSON/); // not SyntaxError: fetch's errors come from outside Jest's realm
    expect((await fetch(url)).status).toBe(200);
    expect(server.requests).toHaveLength(4);
  });

  it('holds a request with the timeout fault, then drops the connection after timeoutMs', async () => {
    server = await startFixtureServer({ faults: ['timeout'], timeoutMs: 50 });
    const started = performance.now();
    await expect(fetch(server.url)).rejects.toThrow('fetch failed');
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('releases a held request when closed', async () => {
    server = await startFixtureServer({ faults: ['timeout'] });
    const pending = fetch(server.url);
    await waitFor(() => server.requests.length === 1);
    await server.close();
    await expect(pending).rejects.toThrow('fetch failed');
  });

  it('rejects an unparseable page with 400 and an unknown path with 404', async () => {
    server = await startFixtureServer();
    expect((await fetch(`${server.url}?page=0`)).status).toBe(400);
    expect((await fetch(`${server.url}?results=lots`)).status).toBe(400);
    expect((await fetch(new URL('/users', server.url))).status).toBe(404);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
