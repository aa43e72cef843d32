import {
  startFixtureServer,
  type FixtureServer,
  type FixtureServerOptions,
} from '../fixture-server/fixture.server';
import { generateResponse, generateUsers } from '../synthetic/user.generator';
import { RandomUserClient, type RandomUserClientOptions } from './randomuser.client';
import { SourceError } from './source.error';

/** A clock that only moves when the client sleeps, so spacing and backoff are asserted, never waited for. */
function fakeTime(start = 0) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('RandomUserClient against the fixture server', () => {
  let server: FixtureServer;
  afterEach(() => server?.close());

  async function setUp(fixture: FixtureServerOptions = {}, opts: Partial<RandomUserClientOptions> = {}) {
    server = await startFixtureServer(fixture);
    const time = fakeTime();
    const client = new RandomUserClient({ baseUrl: server.url, minIntervalMs: 0, ...opts }, time);
    return { client, time };
  }

  it('returns a validated response equal to what the generator serves', async () => {
    const { client } = await setUp();
    const body = await client.fetchPage({ results: 7, seed: 'happy', page: 2, nat: ['GB', 'US'] });
    expect(body).toEqual(generateResponse({ seed: 'happy', count: 7, page: 2, nat: ['GB', 'US'] }));
  });

  it('sends results, seed, page and nat as query parameters', async () => {
    const { client } = await setUp();
    await client.fetchPage({ results: 3, seed: 'params', page: 5, nat: ['gb', 'ie'] });
    const [sent] = server.requests;
    expect(sent.pathname).toBe('/api/');
    expect(Object.fromEntries(sent.searchParams)).toEqual({
      results: '3',
      seed: 'params',
      page: '5',
      nat: 'gb,ie',
    });
  });

  it('leaves out the parameters it was not given', async () => {
    const { client } = await setUp();
    await client.fetchPage({ results: 1 });
    expect([...server.requests[0].searchParams.keys()]).toEqual(['results']);
  });

  it('fetches 12,000 users in three requests of 5000, 5000 and 2000, pages 1 to 3, spaced by minIntervalMs', async () => {
    const { client, time } = await setUp({}, { minIntervalMs: 1000 });
    const users = await client.fetchUsers({ count: 12_000, seed: 'bulk' });

    expect(
      server.requests.map((u) => [
        u.searchParams.get('results'),
        u.searchParams.get('page'),
        u.searchParams.get('seed'),
      ]),
    ).toEqual([
      ['5000', '1', 'bulk'],
      ['5000', '2', 'bulk'],
      ['2000', '3', 'bulk'],
    ]);
    expect(users).toHaveLength(12_000);
    expect(users[5000]).toEqual(generateUsers({ seed: 'bulk', count: 1, page: 2 })[0]);
    expect(new Set(users.map((u) => u.login.uuid)).size).toBe(12_000);
    expect(time.sleeps).toEqual([1000, 1000]);
  }, 30_000); // ~1.5 s alone: 12,000 users generated, serialised and validated; generous for a loaded CI box

  it('makes no request for zero users', async () => {
    const { client } = await setUp();
    expect(await client.fetchUsers({ count: 0, seed: 'none' })).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('retries a 500 and a 429, waiting at least Retry-After, then succeeds', async () => {
    const { client, time } = await setUp({ faults: ['500', '429'] });
    const body = await client.fetchPage({ results: 2, seed: 'flaky' });

    expect(body.results).toHaveLength(2);
    expect(server.requests).toHaveLength(3);
    const [afterServerError, afterTooMany] = time.sleeps;
    expect(afterServerError).toBeGreaterThanOrEqual(125);
    expect(afterServerError).toBeLessThanOrEqual(250);
    expect(afterTooMany).toBe(1000); // the fixture's Retry-After: 1 outweighs the second backoff step (≤ 500 ms)
  });

  it('backs off exponentially and gives up after maxRetries with a retriable error', async () => {
    const { client, time } = await setUp({ faults: ['500', '500', '500', '500'] }, { maxRetries: 3 });
    const error = await client.fetchPage({ results: 1, seed: 'down' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({
      retriable: true,
      message: expect.stringMatching(/HTTP 500 .*gave up after 4 attempts/),
    });
    expect(server.requests).toHaveLength(4);
    time.sleeps.forEach((ms, attempt) => {
      expect(ms).toBeGreaterThanOrEqual(125 * 2 ** attempt);
      expect(ms).toBeLessThanOrEqual(250 * 2 ** attempt);
    });
  });

  it('does not retry a 400', async () => {
    const { client, time } = await setUp();
    const error = await client.fetchPage({ results: 1, page: 0 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ retriable: false, message: expect.stringContaining('HTTP 400') });
    expect(server.requests).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it('abandons a request after timeoutMs and retries it', async () => {
    // The timeout is real (a hung socket): 1 s leaves the healthy second answer time even on a loaded
    // machine, where 200 ms once timed it out too and made a third request.
    const { client } = await setUp({ faults: ['timeout'] }, { timeoutMs: 1000 });
    const started = performance.now();
    const body = await client.fetchPage({ results: 1, seed: 'slow' });

    expect(body.results).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('names a timeout when every attempt times out', async () => {
    const { client } = await setUp({ faults: ['timeout', 'timeout'] }, { timeoutMs: 50, maxRetries: 1 });
    await expect(client.fetchPage({ results: 1 })).rejects.toThrow(
      /timed out after 50 ms \(gave up after 2 attempts\)/,
    );
  });

  it('rejects a body that is not JSON without retrying, saying so', async () => {
    const { client } = await setUp({ faults: ['garbage'] });
    const error = await client.fetchPage({ results: 1 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({
      retriable: false,
      message: expect.stringContaining('not JSON: {"results":[{"gender"'),
    });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a refused connection and names the network error', async () => {
    const closed = await startFixtureServer();
    await closed.close();
    const time = fakeTime();
    const client = new RandomUserClient({ baseUrl: closed.url, minIntervalMs: 0, maxRetries: 2 }, time);

    await expect(client.fetchPage({ results: 1 })).rejects.toThrow(/ECONNREFUSED.*gave up after 3 attempts/);
    expect(time.sleeps).toHaveLength(2);
  });
});

describe('RandomUserClient with a scripted fetch', () => {
  const valid = generateResponse({ seed: 'scripted', count: 2 });
  const respond = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers });

  function clientWith(responses: Response[], opts: Partial<RandomUserClientOptions> = {}, start = 0) {
    const time = fakeTime(start);
    const calls: URL[] = [];
    const fetchFn = (async (input: string | URL | Request) => {
      calls.push(new URL(String(input)));
      const next = responses.shift();
      if (!next) throw new Error('no scripted response left');
      return next;
    }) as typeof fetch;
    const client = new RandomUserClient(
      { baseUrl: 'http://source.test/api/', minIntervalMs: 0, ...opts },
      { fetch: fetchFn, ...time },
    );
    return { client, time, calls };
  }

  it('names every invalid field when the body has the wrong shape', async () => {
    const bad = structuredClone(valid) as unknown as {
      results: Array<{ login: { uuid: string } }>;
      info?: unknown;
    };
    bad.results[1].login.uuid = 'not-a-uuid';
    delete bad.info;
    const { client } = clientWith([respond(200, bad)]);

    const error = await client.fetchPage({ results: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).retriable).toBe(false);
    expect((error as SourceError).message).toMatch(
      /not a randomuser response: .*results\.1\.login\.uuid: .*info: /,
    );
  });

  it('rejects a response with fewer users than asked for', async () => {
    const { client } = clientWith([respond(200, valid)]);
    await expect(client.fetchPage({ results: 3 })).rejects.toThrow('answered 2 users, 3 were asked for');
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const start = Date.parse('2025-01-01T00:00:00Z');
    const retryAt = new Date(start + 7000).toUTCString();
    const { client, time } = clientWith(
      [respond(503, '', { 'retry-after': retryAt }), respond(200, valid)],
      {},
      start,
    );

    await client.fetchPage({ results: 2 });
    expect(time.sleeps).toEqual([7000]);
  });

  it('honours a Retry-After in seconds even beyond the backoff cap', async () => {
    const { client, time } = clientWith([respond(429, '', { 'retry-after': '120' }), respond(200, valid)]);
    await client.fetchPage({ results: 2 });
    expect(time.sleeps).toEqual([120_000]);
  });

  it('caps the exponential backoff at 30 s, still jittered within its upper half', async () => {
    const failures = Array.from({ length: 11 }, () => respond(503, 'busy'));
    const { client, time, calls } = clientWith(failures, { maxRetries: 10 });
    await expect(client.fetchPage({ results: 2 })).rejects.toThrow(/HTTP 503 .*gave up after 11 attempts/);
    expect(calls).toHaveLength(11);
    expect(time.sleeps).toHaveLength(10);
    for (const ms of time.sleeps.slice(7)) {
      expect(ms).toBeGreaterThanOrEqual(15_000);
      expect(ms).toBeLessThanOrEqual(30_000);
    }
  });

  it('makes one attempt and no wait with maxRetries 0', async () => {
    const { client, time } = clientWith([respond(500, 'boom')], { maxRetries: 0 });
    await expect(client.fetchPage({ results: 2 })).rejects.toThrow(/HTTP 500 .*gave up after 1 attempts/);
    expect(time.sleeps).toEqual([]);
  });

  it.each([401, 403, 404])('does not retry a %i', async (status) => {
    const { client, calls } = clientWith([respond(status, { error: 'nope' }), respond(200, valid)]);
    await expect(client.fetchPage({ results: 2 })).rejects.toThrow(`HTTP ${status}`);
    expect(calls).toHaveLength(1);
  });

  it('keeps query parameters already on the base URL', async () => {
    const { client, calls } = clientWith([respond(200, valid)], {
      baseUrl: 'http://source.test/api/1.4/?noinfo=0',
    });
    await client.fetchPage({ results: 2, seed: 's' });
    expect(calls[0].href).toBe('http://source.test/api/1.4/?noinfo=0&results=2&seed=s');
  });

  it('queues concurrent requests minIntervalMs apart', async () => {
    const sleeps: number[] = [];
    const fetchFn = (async () => respond(200, valid)) as typeof fetch;
    const deps = { fetch: fetchFn, now: () => 0, sleep: async (ms: number) => void sleeps.push(ms) };
    const client = new RandomUserClient({ baseUrl: 'http://source.test/api/', minIntervalMs: 1000 }, deps);

    await Promise.all([1, 2, 3].map((page) => client.fetchPage({ results: 2, page })));
    expect(sleeps).toEqual([1000, 2000]);
  });

  it('refuses more results per request than the API serves', async () => {
    const { client, calls } = clientWith([]);
    await expect(client.fetchPage({ results: 5001 })).rejects.toThrow(RangeError);
    expect(calls).toHaveLength(0);
  });

  it('splits fetchUsers by maxResultsPerRequest', async () => {
    const page = (n: number) => respond(200, generateResponse({ seed: 's', count: n }));
    const { client, calls } = clientWith([page(2), page(2), page(1)], { maxResultsPerRequest: 2 });
    expect(await client.fetchUsers({ count: 5, seed: 's' })).toHaveLength(5);
    expect(calls.map((u) => u.searchParams.get('results'))).toEqual(['2', '2', '1']);
  });
});
