import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { BackfillStore } from '@sparkflow/backfill-store';
import { batchIdProblem } from '@sparkflow/contracts';
import { IdempotencyKeysRepository } from '@sparkflow/idempotency-store';
import { EventProducer, type OutboundEvent } from '@sparkflow/kafka';
import { RandomUserClient, generateUsers } from '@sparkflow/sources';
import { listenIngestion } from './testing/ingestion-app';

const EMOJI = '\u{1F600}';
const DAY_MS = 86_400_000;

/**
 * The whole app, in process, over a recording producer and stores in memory: every request that names a
 * batch is refused (400 naming the field) or answers batch ids the audit can be asked for.
 */
describe('the batch ids of POST /v1/synthetic, /v1/pulls and /v1/backfills', () => {
  let app: INestApplication;
  let base: string;
  const sent: OutboundEvent[] = [];
  const created: { batches: { batchId: string }[] }[] = [];
  const asked: unknown[] = [];

  beforeAll(async () => {
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (_topic: string, events: readonly OutboundEvent[]) => {
        sent.push(...events);
        return [];
      },
    };
    const backfills = {
      owner: 'spec',
      leaseSeconds: 30,
      create: async (b: { batches: { batchId: string }[] }) => (created.push(b), true),
      get: async () => null,
      claimExpired: async () => null,
      recordProgress: async () => true,
      renew: async () => true,
      finish: async () => true,
      release: async () => true,
      close: async () => undefined,
    };
    const entries = new Map<string, unknown>();
    const keys = {
      claim: async (scope: string, proposed: unknown) => {
        if (!entries.has(scope)) entries.set(scope, proposed);
        return entries.get(scope);
      },
      close: async () => undefined,
    };
    const randomUsers = {
      pages: (request: { count: number; seed: string }) => {
        asked.push(request);
        return (async function* () {
          yield generateUsers({ seed: request.seed, count: request.count });
        })();
      },
    };
    let root: string;
    ({ app, base: root } = await listenIngestion(
      [
        [EventProducer, producer],
        [BackfillStore, backfills],
        [IdempotencyKeysRepository, keys],
        [RandomUserClient, randomUsers],
      ],
      '64kb',
    ));
    base = `${root}/v1`;
  });
  afterAll(() => app.close());
  beforeEach(() => {
    sent.length = 0;
    created.length = 0;
    asked.length = 0;
  });

  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${base}/${route}`, {
      method: 'POST',
      headers: { 'x-api-key': 'dev-ingestion-key', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const today = new Date(Date.now()).toISOString().slice(0, 10);
  const daysAgo = (n: number) =>
    new Date(Date.parse(`${today}T00:00:00Z`) - n * DAY_MS).toISOString().slice(0, 10);

  it('refuses the seed of 100 emoji (200 UTF-16 code units) on every route, naming `seed`, producing nothing', async () => {
    const seed = EMOJI.repeat(100);
    for (const [route, body, room] of [
      ['synthetic', { count: 2, seed, page: 7 }, 184],
      ['pulls', { count: 2, seed }, 186],
      ['backfills', { from: daysAgo(2), to: daysAgo(2), perDay: 2, seed }, 180],
    ] as const) {
      const answer = await post(route, body);
      expect([route, answer]).toEqual([
        route,
        {
          status: 400,
          body: expect.objectContaining({
            code: 'SCHEMA_INVALID',
            reasons: [
              {
                code: 'SCHEMA_INVALID',
                path: 'seed',
                message: expect.stringContaining(`is 200 UTF-16 code units long; at most ${room} fit`),
              },
            ],
          }),
        },
      ]);
    }
    expect([sent, created, asked]).toEqual([[], [], []]);
  });

  it('refuses a pull whose nationalities make its batch id too long, naming `nat`', async () => {
    const answer = await post('pulls', { count: 2, seed: 'a'.repeat(100), nat: Array(50).fill('GB') });
    expect(answer).toMatchObject({ status: 400, body: { reasons: [{ path: 'nat' }] } });
    expect(asked).toEqual([]);
  });

  it('answers every request either 400 naming the field, or with batch ids batchIdProblem accepts', async () => {
    const seed = fc
      .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 60 }), fc.boolean())
      .map(([astral, ascii, first]) =>
        first ? EMOJI.repeat(astral) + 'b'.repeat(ascii) : 'b'.repeat(ascii) + EMOJI.repeat(astral),
      )
      .filter((s) => s.length > 0 && [...s].length <= 100);
    const request = fc.oneof(
      fc.record({
        route: fc.constant('synthetic'),
        body: fc.record({
          count: fc.integer({ min: 1, max: 3 }),
          seed,
          page: fc.integer({ min: 1, max: 10 ** 9 }),
        }),
      }),
      fc.record({
        route: fc.constant('pulls'),
        body: fc.record({
          count: fc.integer({ min: 1, max: 3 }),
          seed,
          nat: fc.array(fc.constantFrom('GB', 'us'), { maxLength: 50 }),
        }),
      }),
      fc.record({
        route: fc.constant('backfills'),
        body: fc
          .record({ back: fc.integer({ min: 1, max: 30 }), span: fc.integer({ min: 0, max: 1 }), seed })
          .map(({ back, span, seed }) => ({
            from: daysAgo(back),
            to: daysAgo(back - span),
            perDay: 1,
            seed,
          })),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ route, body }) => {
        const answer = await post(route, body);
        if (answer.status === 400) {
          const reasons = answer.body['reasons'] as { path: string; message: string }[];
          expect(answer.body['code']).toBe('SCHEMA_INVALID');
          expect(reasons).toHaveLength(1);
          expect(['seed', 'nat']).toContain(reasons[0].path);
          expect(reasons[0].message).toMatch(/UTF-16 code units/);
          return;
        }
        expect(answer.status).toBe(202);
        const ids =
          route === 'backfills'
            ? (answer.body['batches'] as { batchId: string }[]).map((b) => b.batchId)
            : [answer.body['batchId'] as string];
        for (const id of ids) expect(batchIdProblem(id)).toBeNull();
      }),
      { seed: 20261203, numRuns: 60 },
    );
  });
});
