import { createHash } from 'node:crypto';
import { nameBasedEventId } from '@sparkflow/contracts';

/**
 * The request header that makes `POST /v1/users` safe to send again (draft-ietf-httpapi-idempotency-key-header).
 * Node lower-cases header names.
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** How long a key holds its batch: a push sent again within it is the same events. */
export const IDEMPOTENCY_KEY_TTL_S = 24 * 60 * 60;

const VISIBLE_ASCII = /^[\x21-\x7e]{1,255}$/;

/**
 * The header as sent: absent (null), or 1–255 visible ASCII characters. A header sent twice arrives
 * joined by ", " and so is refused, as is an empty one: either would quietly make an unguarded push.
 */
export function parseIdempotencyKey(
  value: string | string[] | undefined,
): { ok: true; key: string | null } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, key: null };
  if (typeof value === 'string' && VISIBLE_ASCII.test(value)) return { ok: true, key: value };
  return {
    ok: false,
    message: 'Idempotency-Key must be one value of 1 to 255 visible ASCII characters (no spaces)',
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Where a key is kept: a digest of the API key and the idempotency key together, so two clients' keys
 * never meet and the store never holds an API key. JSON keeps the pair unambiguous whatever either holds.
 */
export const idempotencyScope = (apiKey: string, key: string) =>
  sha256(JSON.stringify(['sparkflow-idempotency-key', apiKey, key]));

/**
 * The request's body as parsed: the same JSON sent again (whatever its whitespace) has the same digest,
 * and a different one under the same key is refused (422) instead of answered with the first one's batch.
 */
export const bodyDigest = (body: unknown) => sha256(JSON.stringify(body) ?? '');

/** The event id of the person at `position` in a keyed push: every attempt of the push makes the same one. */
export const pushEventId = (batchId: string, position: number) =>
  nameBasedEventId(`sparkflow-push-event:${batchId}:${position}`);

/** The event id of the dead letter of the refused person at `position` in a keyed push. */
export const pushDeadLetterId = (batchId: string, position: number) =>
  nameBasedEventId(`sparkflow-push-dead-letter:${batchId}:${position}`);

/** What a key holds: the batch of its first push, the first event time reserved for it, and its body's digest. */
export interface KeyedPush {
  batchId: string;
  /** Microseconds; the person at position p of the request gets this plus p. */
  firstEventMicros: bigint;
  bodySha256: string;
}

/**
 * Where keys are kept, shared by every replica (`libs/idempotency-store`). `claim` stores `proposed` under
 * `scope` unless a live entry is there, and answers the entry that stands: the proposal for the first
 * request, the first request's for any other, concurrent ones on other replicas included. It rejects when
 * the store does not answer in time.
 */
export interface KeyedPushStore {
  claim(scope: string, proposed: KeyedPush, ttlSeconds: number): Promise<KeyedPush>;
}
