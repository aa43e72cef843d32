import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  bodyDigest,
  canonicalJson,
  claimIdempotencyKey,
  formerBodyDigest,
  type KeyedPush,
  idempotencyScope,
  parseIdempotencyKey,
  pushDeadLetterId,
  pushEventId,
} from './idempotency-key';

describe('parseIdempotencyKey', () => {
  it('takes no header as no key, so a push without one goes on as before', () => {
    expect(parseIdempotencyKey(undefined)).toEqual({ ok: true, key: null });
  });

  it.each(['a', '8e03978e-40d5-43e8-bc93-6894a57f9324', '"quoted"', '!~', 'k'.repeat(255)])(
    'takes %j as the key it is',
    (value) => expect(parseIdempotencyKey(value)).toEqual({ ok: true, key: value }),
  );

  it.each([
    ['an empty value', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'two words'],
    ['a tab', 'a\tb'],
    ['a non-ASCII character', 'clé'],
    ['the header sent twice (joined by Node)', 'one, two'],
  ])('refuses %s, naming the header', (_, value) => {
    const parsed = parseIdempotencyKey(value);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).toMatch(/^Idempotency-Key /);
  });

  it('refuses a header given as several values', () => {
    expect(parseIdempotencyKey(['one', 'two']).ok).toBe(false);
  });
});

describe('idempotencyScope', () => {
  it('keeps a key per API key, as a digest that holds neither', () => {
    const scope = idempotencyScope('api-key-one', 'push-1');
    expect(scope).toMatch(/^[0-9a-f]{64}$/);
    expect(scope).toBe(idempotencyScope('api-key-one', 'push-1'));
    expect(scope).not.toBe(idempotencyScope('api-key-two', 'push-1'));
    expect(scope).not.toBe(idempotencyScope('api-key-one', 'push-2'));
    // The pair cannot be shifted across the boundary between the two.
    expect(idempotencyScope('a:b', 'c')).not.toBe(idempotencyScope('a', 'b:c'));
  });

  it('keeps a backfill key apart from a push key of the same API key and value, and leaves push keys as they were', () => {
    const push = idempotencyScope('api-key-one', 'k');
    expect(idempotencyScope('api-key-one', 'k', 'push')).toBe(push);
    // The digest push keys were stored under before backfills took keys: they stay valid across an upgrade.
    expect(push).toBe(
      createHash('sha256')
        .update(JSON.stringify(['sparkflow-idempotency-key', 'api-key-one', 'k']))
        .digest('hex'),
    );
    const backfill = idempotencyScope('api-key-one', 'k', 'backfill');
    expect(backfill).toMatch(/^[0-9a-f]{64}$/);
    expect(backfill).not.toBe(push);
    expect(backfill).not.toBe(idempotencyScope('api-key-two', 'k', 'backfill'));
  });
});

/** `value` with the keys of every object, at every depth, in the order `order` picks; arrays kept in order. */
function withKeysShuffled(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => withKeysShuffled(v, order));
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  return Object.fromEntries(order(Object.keys(v)).map((k) => [k, withKeysShuffled(v[k], order)]));
}

/** The JSON value a body is once sent: what `JSON.parse` of its text gives (`-0` is sent as `0`). */
const asSent = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('bodyDigest', () => {
  it('is the same for the same JSON however it was spaced, and differs for another body', () => {
    expect(bodyDigest(JSON.parse('[ {"a": 1} ]'))).toBe(bodyDigest(JSON.parse('[{"a":1}]')));
    expect(bodyDigest([{ a: 1 }])).not.toBe(bodyDigest([{ a: 2 }]));
  });

  it('is the same whatever order an object’s keys come in, at any depth; an array’s order counts', () => {
    const sent = JSON.parse(
      '{"from":"2026-11-29","to":"2026-11-29","perDay":3,"seed":"x","o":{"b":1,"a":[2,1]}}',
    );
    const again = JSON.parse(
      '{"seed":"x","o":{"a":[2,1],"b":1},"perDay":3,"to":"2026-11-29","from":"2026-11-29"}',
    );
    expect(bodyDigest(again)).toBe(bodyDigest(sent));
    expect(canonicalJson(again)).toBe(
      '{"from":"2026-11-29","o":{"a":[2,1],"b":1},"perDay":3,"seed":"x","to":"2026-11-29"}',
    );
    expect(bodyDigest({ a: [1, 2] })).not.toBe(bodyDigest({ a: [2, 1] }));
  });

  it('gives one JSON value one digest whatever its key order, and another value another digest', () => {
    // Shuffles the keys of every object with the random generator fast-check hands the property.
    const shuffle = (random: (min: number, max: number) => number) => (keys: string[]) => {
      const out = [...keys];
      for (let i = out.length - 1; i > 0; i--) {
        const j = random(0, i);
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.infiniteStream(fc.nat()), (a, b, picks) => {
        const it = picks[Symbol.iterator]();
        const shuffled = withKeysShuffled(
          a,
          shuffle((min, max) => min + (it.next().value % (max - min + 1))),
        );
        expect(bodyDigest(shuffled)).toBe(bodyDigest(a));
        expect(bodyDigest(JSON.parse(JSON.stringify(shuffled, null, 2)))).toBe(bodyDigest(a));
        expect(bodyDigest(b) === bodyDigest(a)).toBe(isDeepStrictEqual(asSent(a), asSent(b)));
      }),
      { seed: 20261203, numRuns: 500 },
    );
  });

  it('tells a changed value from the original: one key renamed, or one array reordered', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        fc.array(fc.jsonValue(), { minLength: 2 }),
        (object, array) => {
          const [key] = Object.keys(object);
          const renamed = { ...object, [`${key}'`]: object[key] };
          delete (renamed as Record<string, unknown>)[key];
          fc.pre(!(`${key}'` in object));
          expect(bodyDigest(renamed)).not.toBe(bodyDigest(object));
          const reversed = [...array].reverse();
          fc.pre(!isDeepStrictEqual(asSent(reversed), asSent(array)));
          expect(bodyDigest(reversed)).not.toBe(bodyDigest(array));
        },
      ),
      { seed: 20261203, numRuns: 300 },
    );
  });
});

describe('claimIdempotencyKey across the change of digest', () => {
  const standing = (bodySha256: string): KeyedPush => ({ batchId: 'b', firstEventMicros: 1n, bodySha256 });
  const store = (kept: KeyedPush) => ({ claim: async () => kept });
  const body = { perDay: 3, from: '2026-11-29', to: '2026-11-29', seed: 'x' };

  it('answers a key stored with the former digest of this body as the same request, for 24 h', async () => {
    const kept = standing(formerBodyDigest(body));
    const proposed = standing(bodyDigest(body));
    expect(kept.bodySha256).not.toBe(proposed.bodySha256);
    await expect(
      claimIdempotencyKey(store(kept), 's', proposed, 'backfill', undefined, [formerBodyDigest(body)]),
    ).resolves.toEqual({ ok: true, kept });
  });

  it('still refuses, 422, a key stored with either digest of another body', async () => {
    const other = { ...body, seed: 'y' };
    for (const kept of [standing(formerBodyDigest(other)), standing(bodyDigest(other))]) {
      const claimed = await claimIdempotencyKey(
        store(kept),
        's',
        standing(bodyDigest(body)),
        'push',
        undefined,
        [formerBodyDigest(body)],
      );
      expect(claimed).toMatchObject({ ok: false, refusal: { status: 422 } });
    }
  });
});

describe('the event ids of a keyed push', () => {
  it('are name-based UUIDs of batch and position: the same on every attempt, distinct across both', () => {
    const id = pushEventId('http-push-b1', 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pushEventId('http-push-b1', 0)).toBe(id);
    const all = new Set([
      id,
      pushEventId('http-push-b1', 1),
      pushEventId('http-push-b2', 0),
      pushDeadLetterId('http-push-b1', 0),
      pushDeadLetterId('http-push-b1', 1),
    ]);
    expect(all.size).toBe(5);
  });
});
