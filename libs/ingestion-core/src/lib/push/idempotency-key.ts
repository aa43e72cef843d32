import { createHash } from 'node:crypto';
import { SparkflowErrorCode, nameBasedEventId } from '@sparkflow/contracts';
import { refusalBody, type RefusalBody } from '@sparkflow/errors';

/**
 * The request header that makes `POST /v1/users` and `POST /v1/backfills` safe to send again
 * (draft-ietf-httpapi-idempotency-key-header). Node lower-cases header names.
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** How long a key holds its batch (or backfill): a request sent again within it is the same events. */
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

/** What a key guards: a push (`POST /v1/users`) or a backfill (`POST /v1/backfills`). */
export type IdempotentRequest = 'push' | 'backfill';

/** The name each kind of request's keys are digested under; a push's is the one its keys always had. */
const SCOPE_NAMES: Record<IdempotentRequest, string> = {
  push: 'sparkflow-idempotency-key',
  backfill: 'sparkflow-backfill-idempotency-key',
};

/**
 * Where a key is kept: a digest of the kind of request, the API key and the idempotency key together, so
 * two clients' keys never meet, a push's key never meets a backfill's, and the store never holds an API
 * key. JSON keeps the triple unambiguous whatever each holds.
 */
export const idempotencyScope = (apiKey: string, key: string, request: IdempotentRequest = 'push') =>
  sha256(JSON.stringify([SCOPE_NAMES[request], apiKey, key]));

/**
 * `value` as JSON in one form whatever order its objects' keys came in: every object's keys sorted, at
 * every depth (arrays keep their order, which means something). The same JSON value, however it was
 * spaced or its keys ordered, gives the same text; another value gives other text.
 */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, (v as Record<string, unknown>)[k]]),
          )
        : v,
    ) ?? ''
  );
}

/**
 * The request's body as parsed, in its canonical form (`canonicalJson`): the same JSON sent again, whatever
 * its whitespace or the order of its keys, has the same digest, and a different one under the same key is
 * refused (422) instead of answered with the first one's batch.
 */
export const bodyDigest = (body: unknown) => sha256(canonicalJson(body));

/**
 * The digest keys stored before `bodyDigest` was canonical hold: of the body as `JSON.stringify` wrote it,
 * keys in the order they came. A retry of such a request is matched against it too (`claimIdempotencyKey`'s
 * `formerDigests`); no key lives longer than `IDEMPOTENCY_KEY_TTL_S` (24 h), so this form can be dropped
 * once a release with canonical digests has run for 24 hours.
 */
export const formerBodyDigest = (body: unknown) => sha256(JSON.stringify(body) ?? '');

/**
 * Where a synthetic batch's event times are kept in the same store: a digest of the batch id alone, under a
 * name of its own, so it never meets a push's or a backfill's key. No API key takes part: the batch
 * (`synthetic-<seed>-p<page>-n<count>`) is the same people whoever asks for it, and so are its events.
 */
export const syntheticTimesScope = (batchId: string) =>
  sha256(JSON.stringify(['sparkflow-synthetic-batch-times', batchId]));

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
 * Where keys are kept, shared by every replica (`libs/idempotency-store`). A backfill's key keeps the
 * backfill's id as `batchId` and the time it was requested (µs, whole milliseconds) as `firstEventMicros`;
 * a synthetic batch (`syntheticTimesScope`) keeps its batch id and first event time. `claim` stores `proposed` under
 * `scope` unless a live entry is there, and answers the entry that stands: the proposal for the first
 * request, the first request's for any other, concurrent ones on other replicas included. It rejects when
 * the store does not answer in time.
 */
export interface KeyedPushStore {
  claim(scope: string, proposed: KeyedPush, ttlSeconds: number): Promise<KeyedPush>;
}

/**
 * Why a keyed request must not go on: its key was used for another body (422 `SEMANTIC_INVALID` naming the
 * header), or the store did not answer (503 `POSTGRES_UNAVAILABLE`).
 */
export type KeyRefusal =
  | { status: 422; body: RefusalBody<422> }
  | { status: 503; headers: { 'retry-after': string }; body: RefusalBody<503> };

/**
 * Claims `scope` in `keys` with `proposed`, as `POST /v1/users` and `POST /v1/backfills` both do: the entry
 * that stands (the proposal for the first request under the key), or the refusal to answer — 422 naming
 * the header when the key was used for another body (one whose digest is neither `proposed.bodySha256` nor
 * one of `formerDigests`, this body's digests in the forms keys stored earlier held: `formerBodyDigest`),
 * 503 with Retry-After naming the store when it did not answer (or none is configured), so nothing is done
 * without the key checked. `what` names the request in the messages ("push", "backfill").
 */
export async function claimIdempotencyKey(
  keys: KeyedPushStore | undefined,
  scope: string,
  proposed: KeyedPush,
  what: IdempotentRequest,
  warn?: (message: string) => void,
  formerDigests: readonly string[] = [],
): Promise<{ ok: true; kept: KeyedPush } | { ok: false; refusal: KeyRefusal }> {
  let kept: KeyedPush;
  try {
    if (!keys) throw new Error('no store is configured');
    kept = await keys.claim(scope, proposed, IDEMPOTENCY_KEY_TTL_S);
  } catch (err) {
    const message = `the idempotency store (PostgreSQL) did not answer, so this ${what} was not ${what === 'push' ? 'produced' : 'started'}; send it again with the same Idempotency-Key: ${(err as Error).message}`;
    warn?.(message);
    return {
      ok: false,
      refusal: {
        status: 503,
        headers: { 'retry-after': '1' },
        body: refusalBody(503, SparkflowErrorCode.PostgresUnavailable, message),
      },
    };
  }
  if (kept.bodySha256 !== proposed.bodySha256 && !formerDigests.includes(kept.bodySha256)) {
    const message = `Idempotency-Key was already used for a different request body; nothing was ${what === 'push' ? 'produced' : 'started'} (use a new key for a new ${what})`;
    return {
      ok: false,
      refusal: {
        status: 422,
        body: refusalBody(422, SparkflowErrorCode.SemanticInvalid, message, [
          { path: 'Idempotency-Key', message },
        ]),
      },
    };
  }
  return { ok: true, kept };
}
