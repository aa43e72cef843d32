import fc from 'fast-check';
import { backfillBatchId, batchIdProblem, syntheticBatchId, type RawUserEvent } from '@sparkflow/contracts';
import type { EventProducer } from '@sparkflow/kafka';
import type { RandomUserClient } from '@sparkflow/sources';
import { recordingProducer } from '@sparkflow/testing';
import { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import {
  BackfillRequest,
  BackfillsService,
  daysBetween,
  type BackfillRepository,
} from '../backfills/backfills.service';
import type { KeyedPushStore } from '../push/idempotency-key';
import { parseRequest } from '../request/request-outcome';
import { PullUsersUseCase, pullBatchId, pullRequest } from './pull-users.use-case';
import { validSeed } from './seed';
import { SyntheticUsersUseCase, syntheticRequest } from './synthetic-users.use-case';

const MAX_USERS = 200_000;
const EMOJI = '\u{1F600}';

/**
 * Seeds around every limit: astral-plane characters (2 UTF-16 units each), lone and paired surrogates,
 * control characters, and lengths on both sides of the seed's 100 code points and the batch id's 200 units.
 */
const seedChar = fc.oneof(
  fc.constantFrom('a', '-', 'é', EMOJI, '\u{10FFFF}', '\u{20000}', '\uD83D', '\uDE00', '\u0000', '\u{E000}'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const seed = fc.oneof(
  fc.array(seedChar, { maxLength: 130 }).map((cs) => cs.join('')),
  fc
    .tuple(fc.integer({ min: 0, max: 101 }), fc.integer({ min: 0, max: 101 }), fc.boolean())
    .map(([astral, ascii, first]) =>
      first ? EMOJI.repeat(astral) + 'a'.repeat(ascii) : 'a'.repeat(ascii) + EMOJI.repeat(astral),
    ),
);
const count = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: -1, max: MAX_USERS + 1 }));
const page = fc.oneof(
  fc.integer({ min: 1, max: 20 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, 0, 1.5),
  fc.integer({ min: 1 }),
);
const nat = fc.array(fc.constantFrom('gb', 'US', 'Fr', 'x', 'GBR'), { maxLength: 55 });

const isCount = (n: unknown) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_USERS;
const isPage = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 1;
const isNat = (codes: readonly string[]) => codes.length <= 50 && codes.every((c) => /^[A-Za-z]{2}$/.test(c));

type Reason = { code: string; path: string; message: string };
type Parsed = ReturnType<typeof parseRequest>;

/** The refusal's reasons, after checking it is the 400 SCHEMA_INVALID every reason of which names a field. */
function reasonsOf(parsed: Parsed, fields: readonly string[]): Reason[] {
  if (parsed.ok) throw new Error('not refused');
  expect(parsed.refusal).toMatchObject({ status: 400, body: { code: 'SCHEMA_INVALID' } });
  const reasons = (parsed.refusal.body as unknown as { reasons: Reason[] }).reasons;
  expect(reasons.length).toBeGreaterThan(0);
  for (const r of reasons) expect(fields).toContain(r.path);
  return reasons;
}

/** The reason a refusal gives for a batch id that does not fit: on `field`, its limit in UTF-16 code units. */
function expectTooLong(reasons: Reason[], field: string) {
  expect(reasons).toContainEqual(
    expect.objectContaining({ path: field, message: expect.stringMatching(/UTF-16 code units/) }),
  );
}

describe('every batch id a request names is one the audit can be asked for', () => {
  it('POST /v1/synthetic: refused 400 naming `seed`, or its batch id passes batchIdProblem', () => {
    const schema = syntheticRequest(MAX_USERS);
    fc.assert(
      fc.property(fc.option(seed, { nil: undefined }), page, count, (s, p, n) => {
        const body = { count: n, ...(s === undefined ? {} : { seed: s }), page: p };
        const parsed = parseRequest(schema, body);
        if (parsed.ok) {
          const { seed: sd, page: pg, count: ct } = parsed.data;
          expect(batchIdProblem(syntheticBatchId(sd, pg, ct))).toBeNull();
          return;
        }
        const reasons = reasonsOf(parsed, ['seed', 'page', 'count']);
        const id = syntheticBatchId(s ?? 'sparkflow', p, n);
        if ((s === undefined || validSeed(s)) && isPage(p) && isCount(n)) {
          // Everything else is right: the batch id is the one fault, and `seed` is named for it.
          expect(batchIdProblem(id)).not.toBeNull();
          expect(reasons.map((r) => r.path)).toEqual(['seed']);
          expectTooLong(reasons, 'seed');
        }
      }),
      { seed: 20261203, numRuns: 1_000 },
    );
  });

  it('POST /v1/pulls: refused 400 naming `seed` or `nat`, or its batch id passes batchIdProblem', () => {
    const schema = pullRequest(MAX_USERS);
    fc.assert(
      fc.property(seed, count, fc.option(nat, { nil: undefined }), (s, n, codes) => {
        const body = { count: n, seed: s, ...(codes === undefined ? {} : { nat: codes }) };
        const parsed = parseRequest(schema, body);
        if (parsed.ok) {
          const { seed: sd, count: ct, nat: ns } = parsed.data;
          expect(batchIdProblem(pullBatchId(sd, ct, ns))).toBeNull();
          return;
        }
        const reasons = reasonsOf(parsed, [
          'seed',
          'count',
          'nat',
          ...Array.from({ length: 55 }, (_, i) => `nat.${i}`),
        ]);
        if (validSeed(s) && isCount(n) && isNat(codes ?? [])) {
          expect(batchIdProblem(pullBatchId(s, n, codes))).not.toBeNull();
          // The seed when it alone is too long, else the nationalities.
          const field = batchIdProblem(pullBatchId(s, n)) === null ? 'nat' : 'seed';
          expect(reasons.map((r) => r.path)).toEqual([field]);
          expectTooLong(reasons, field);
        }
      }),
      { seed: 20261203, numRuns: 1_000 },
    );
  });

  it('POST /v1/backfills: refused 400 naming `seed`, or every day’s batch id passes batchIdProblem', () => {
    const day = fc
      .integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 11, 31) })
      .map((ms) => new Date(ms).toISOString().slice(0, 10));
    fc.assert(
      fc.property(
        fc.option(seed, { nil: undefined }),
        day,
        fc.integer({ min: 0, max: 400 }),
        (s, from, span) => {
          const to = new Date(Date.parse(`${from}T00:00:00Z`) + span * 86_400_000).toISOString().slice(0, 10);
          const body = { from, to, perDay: 3, ...(s === undefined ? {} : { seed: s }) };
          const parsed = parseRequest(BackfillRequest, body);
          if (parsed.ok) {
            for (const d of daysBetween(parsed.data.from, parsed.data.to))
              expect(batchIdProblem(backfillBatchId(parsed.data.seed, d))).toBeNull();
            return;
          }
          const reasons = reasonsOf(parsed, ['seed', 'to']);
          if ((s === undefined || validSeed(s)) && span < 366) {
            expect(batchIdProblem(backfillBatchId(s ?? 'sparkflow', from))).not.toBeNull();
            expect(reasons.map((r) => r.path)).toEqual(['seed']);
            expectTooLong(reasons, 'seed');
          }
        },
      ),
      { seed: 20261203, numRuns: 300 },
    );
  });
});

describe('a request whose batch id would not fit', () => {
  // 100 emoji are 100 characters, as the seed counts them, and 200 UTF-16 code units, as batch ids are counted.
  const longSeed = EMOJI.repeat(100);

  it('is refused by POST /v1/synthetic before its times are claimed or anyone is produced', async () => {
    const { producer, sent } = recordingProducer<RawUserEvent>();
    const claims: string[] = [];
    const times: KeyedPushStore = { claim: async (scope, proposed) => (claims.push(scope), proposed) };
    const useCase = new SyntheticUsersUseCase(
      new IngestUsersUseCase(producer as unknown as EventProducer),
      MAX_USERS,
      times,
    );
    const refused = await useCase.execute({ count: 2, seed: longSeed, page: 7 });
    expect(refused).toMatchObject({
      status: 400,
      body: {
        code: 'SCHEMA_INVALID',
        reasons: [
          {
            path: 'seed',
            message: expect.stringMatching(/^`seed` is 200 UTF-16 code units long; at most 184 fit/),
          },
        ],
      },
    });
    expect(claims).toEqual([]);
    expect(sent).toEqual([]);
    // 92 emoji fit: synthetic-<184 units>-p7-n2 is 200.
    expect(await useCase.execute({ count: 2, seed: EMOJI.repeat(92), page: 7 })).toMatchObject({
      status: 202,
    });
    expect(await useCase.execute({ count: 2, seed: EMOJI.repeat(93), page: 7 })).toMatchObject({
      status: 400,
    });
  });

  it('is refused by POST /v1/pulls before the upstream is asked', async () => {
    const { producer, sent } = recordingProducer<RawUserEvent>();
    const asked: unknown[] = [];
    const client = {
      pages: (request: unknown) => {
        asked.push(request);
        return (async function* () {
          yield* [];
        })();
      },
    } as unknown as RandomUserClient;
    const pulls = new PullUsersUseCase(
      new IngestUsersUseCase(producer as unknown as EventProducer),
      client,
      MAX_USERS,
    );
    const nat = Array.from({ length: 50 }, () => 'GB');
    const refused = await pulls.execute({ count: 2, seed: 'a'.repeat(100), nat });
    expect(refused).toMatchObject({
      status: 400,
      body: {
        code: 'SCHEMA_INVALID',
        reasons: [{ path: 'nat', message: expect.stringMatching(/at most 27 fit/) }],
      },
    });
    expect(await pulls.execute({ count: 2, seed: longSeed })).toMatchObject({
      status: 400,
      body: { reasons: [{ path: 'seed' }] },
    });
    expect(asked).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('is refused by POST /v1/backfills before its key is claimed or anything is stored', async () => {
    const { producer } = recordingProducer<RawUserEvent>();
    const touched: string[] = [];
    const store = new Proxy({} as BackfillRepository, {
      get: (_t, name) =>
        name === 'owner' ? 'spec' : name === 'leaseSeconds' ? 30 : () => touched.push(String(name)),
    });
    const keys: KeyedPushStore = { claim: async (scope, proposed) => (touched.push('claim'), proposed) };
    const service = new BackfillsService(
      new IngestUsersUseCase(producer as unknown as EventProducer),
      () => [],
      store,
      { pollMs: 60_000, keys, now: () => Date.parse('2026-12-03T12:00:00Z') },
    );
    const refused = await service.request(
      { from: '2026-12-01', to: '2026-12-01', perDay: 3, seed: longSeed },
      { apiKey: 'k', idempotencyKey: 'long-seed' },
    );
    expect(refused).toMatchObject({
      status: 400,
      body: {
        code: 'SCHEMA_INVALID',
        reasons: [
          {
            path: 'seed',
            message: expect.stringMatching(/^`seed` is 200 UTF-16 code units long; at most 180 fit/),
          },
        ],
      },
    });
    expect(touched).toEqual([]);
  });
});

describe('a backfill stored before its seed was checked against the batch-id limit', () => {
  it('is still read back and answered (GET /v1/backfills/:id)', async () => {
    const stored = {
      id: '3b2f6c1e-4a7d-4c1e-9a55-0d6b2a7e9f10',
      request: {
        from: '2026-12-01',
        to: '2026-12-01',
        perDay: 1,
        seed: EMOJI.repeat(100),
        source: 'synthetic',
      },
      status: 'produced' as const,
      error: null,
      attempts: 1,
      requestedAt: new Date('2026-12-02T00:00:00Z'),
      batches: [
        { day: '2026-12-01', batchId: `backfill-${EMOJI.repeat(100)}-2026-12-01`, expected: 1, produced: 1 },
      ],
    };
    const store = {
      owner: 'spec',
      leaseSeconds: 30,
      get: async () => stored,
    } as unknown as BackfillRepository;
    const { producer } = recordingProducer<RawUserEvent>();
    const service = new BackfillsService(
      new IngestUsersUseCase(producer as unknown as EventProducer),
      () => [],
      store,
    );
    await expect(service.get(stored.id)).resolves.toMatchObject({ id: stored.id, status: 'produced' });
  });
});
