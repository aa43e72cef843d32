import { createHash } from 'node:crypto';
import {
  bodyDigest,
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

describe('bodyDigest', () => {
  it('is the same for the same JSON however it was spaced, and differs for another body', () => {
    expect(bodyDigest(JSON.parse('[ {"a": 1} ]'))).toBe(bodyDigest(JSON.parse('[{"a":1}]')));
    expect(bodyDigest([{ a: 1 }])).not.toBe(bodyDigest([{ a: 2 }]));
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
