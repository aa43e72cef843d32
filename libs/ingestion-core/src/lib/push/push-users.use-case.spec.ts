import { DeadLetterEvent, SparkflowErrorCode, TOPICS } from '@sparkflow/contracts';
import type { EventProducer } from '@sparkflow/kafka';
import { generateUsers } from '@sparkflow/sources';
import { refusedBody } from '@sparkflow/testing';
import { EventClock, IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import { formerBodyDigest, type KeyedPush, type KeyedPushStore } from './idempotency-key';
import { PushUsersUseCase } from './push-users.use-case';

/** A producer that keeps what it was asked to send, as the broker would have acknowledged it. */
function recordingProducer() {
  const sent: { topic: string; messages: { key: string | null; event: unknown }[] }[] = [];
  const producer = {
    send: async (topic: string, messages: { key: string | null; event: unknown }[]) => {
      sent.push({ topic, messages });
    },
  } as unknown as EventProducer;
  return { sent, producer };
}

/** The use case over a recording producer, with the failure codes it reports kept in `counted`. */
function pushUseCase() {
  const { sent, producer } = recordingProducer();
  const counted: string[] = [];
  const push = new PushUsersUseCase(
    new IngestUsersUseCase(producer),
    producer,
    { maxUsers: 100, maxPersonBytes: 256 * 1024 },
    { deadLettered: (codes) => counted.push(...codes) },
  );
  return { push, sent, counted };
}

describe('PushUsersUseCase', () => {
  it('ingests the valid people, dead-letters each refused one with its reasons, and counts them by code', async () => {
    const { push, sent, counted } = pushUseCase();
    const [good, bad] = generateUsers({ seed: 'push-spec', count: 2 });
    const outcome = await push.execute([good, { ...bad, email: 42 }]);

    expect(outcome.status).toBe(202);
    if (outcome.status !== 202) return;
    expect(outcome.body.accepted).toBe(1);
    expect(outcome.body.rejected).toEqual([
      expect.objectContaining({
        index: 1,
        loginUuid: bad.login.uuid,
        reasons: [expect.objectContaining({ path: 'email' })],
      }),
    ]);

    const letters = sent.filter((s) => s.topic === TOPICS.usersDlq).flatMap((s) => s.messages);
    expect(letters).toHaveLength(1);
    const letter = DeadLetterEvent.parse(letters[0].event);
    expect(letter.payload).toMatchObject({
      stage: 'ingestion',
      originalTopic: TOPICS.usersRaw,
      key: bad.login.uuid,
      originalEventId: outcome.body.rejected[0].eventId,
      reasons: [expect.objectContaining({ code: SparkflowErrorCode.SchemaInvalid, path: 'payload.email' })],
    });
    expect(counted).toEqual([SparkflowErrorCode.SchemaInvalid]);
  });

  it("gives each reason of a refused person in the receipt the code, message and path of its dead letter's", async () => {
    const { push, sent } = pushUseCase();
    const [good, bad] = generateUsers({ seed: 'push-spec', count: 2 });
    const outcome = await push.execute([good, { ...bad, email: 42, gender: 7 }]);
    if (outcome.status !== 202) throw new Error(`expected 202, got ${outcome.status}`);
    const [letter] = sent.filter((s) => s.topic === TOPICS.usersDlq).flatMap((s) => s.messages);
    const { reasons } = DeadLetterEvent.parse(letter.event).payload;
    const [receipt] = outcome.body.rejected;
    expect(receipt.reasons.map((r) => Object.keys(r).sort())).toEqual([
      ['code', 'message', 'path'],
      ['code', 'message', 'path'],
    ]);
    // The dead letter names the field inside the users.raw envelope it holds; the receipt, in the person sent.
    expect(receipt.reasons).toEqual(
      reasons.map((r) => ({ code: r.code, message: r.message, path: r.path?.replace(/^payload\.?/, '') })),
    );
    expect(receipt.reasons.map((r) => [r.code, r.path]).sort()).toEqual([
      ['SCHEMA_INVALID', 'email'],
      ['SCHEMA_INVALID', 'gender'],
    ]);
  });

  it('counts nothing when everyone is valid', async () => {
    const { push, counted } = pushUseCase();
    const outcome = await push.execute(generateUsers({ seed: 'push-spec', count: 3 }));
    expect(outcome).toMatchObject({ status: 202, body: { accepted: 3, rejected: [] } });
    expect(counted).toEqual([]);
  });

  describe('a body it cannot read as people', () => {
    const apiKey = 'dev-ingestion-key';

    it('answers an empty body 400 saying it is empty, not as a person without login', async () => {
      const { push, sent } = pushUseCase();
      const outcome = await push.execute({}, { apiKey, contentType: 'application/json', emptyBody: true });
      expect(outcome).toEqual({
        status: 400,
        body: refusedBody(400, 'MALFORMED_JSON', 'the request body is empty', [
          {
            path: '',
            message:
              'the request body is empty: expected a user object, an array of users or {"results": [...]}',
          },
        ]),
      });
      expect(sent).toEqual([]);
    });

    it.each([
      ['text/plain', 'got "text/plain"'],
      ['application/x-www-form-urlencoded', 'got "application/x-www-form-urlencoded"'],
      [null, 'got none'],
    ])('answers a body sent as %p 415 naming Content-Type and what it accepts', async (contentType, got) => {
      const { push, sent } = pushUseCase();
      const outcome = await push.execute(undefined, { apiKey, contentType });
      expect(outcome).toEqual({
        status: 415,
        body: refusedBody(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'Unsupported Media Type: send the body as application/json',
          [
            {
              path: 'Content-Type',
              message: expect.stringMatching(new RegExp(`^expected application/json .*gzip.*, ${got}$`)),
            },
          ],
        ),
      });
      expect(sent).toEqual([]);
    });

    it('takes application/json whatever its case and parameters', async () => {
      const { push } = pushUseCase();
      const users = generateUsers({ seed: 'push-spec', count: 1 });
      for (const contentType of ['application/json', 'Application/JSON; charset=utf-8']) {
        expect(await push.execute(users, { apiKey, contentType, emptyBody: false })).toMatchObject({
          status: 202,
        });
      }
    });
  });
});

/** The key store's contract in memory: the first proposal under a scope stands. */
function memoryKeys(): KeyedPushStore & { entries: Map<string, KeyedPush> } {
  const entries = new Map<string, KeyedPush>();
  return {
    entries,
    claim: async (scope, proposed) => {
      if (!entries.has(scope)) entries.set(scope, proposed);
      return entries.get(scope)!;
    },
  };
}

/** A replica: its own producer and its own event clock, sharing the key store. */
function replica(keys: KeyedPushStore | undefined, nowMicros: bigint) {
  const { sent, producer } = recordingProducer();
  const push = new PushUsersUseCase(
    new IngestUsersUseCase(producer, new EventClock(() => nowMicros)),
    producer,
    { maxUsers: 100, maxPersonBytes: 256 * 1024 },
    { keys },
  );
  // What reached Kafka, as bytes: a retry must send exactly these again.
  const wire = () =>
    sent.flatMap((s) => s.messages.map((m) => `${s.topic} ${m.key} ${JSON.stringify(m.event)}`)).sort();
  return { push, sent, wire };
}

describe('PushUsersUseCase with an Idempotency-Key', () => {
  const people = () => {
    const users: unknown[] = generateUsers({ seed: 'push-keyed', count: 4 });
    users[2] = { ...(users[2] as object), email: 42 };
    return users;
  };
  const headers = { apiKey: 'dev-ingestion-key', idempotencyKey: 'push-keyed-1' };

  it('answers and produces the same for every request under the key, whichever replica and clock', async () => {
    const keys = memoryKeys();
    const first = replica(keys, 1_000_000n);
    const retry = replica(keys, 9_000_000n);

    const a = await first.push.execute(people(), headers);
    const b = await retry.push.execute(people(), headers);

    expect(a.status).toBe(202);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(retry.wire()).toEqual(first.wire());
    // One raw event per valid person, one dead letter for the refused one, at the first request's times.
    const raw = first.sent.filter((s) => s.topic === TOPICS.usersRaw).flatMap((s) => s.messages);
    expect(raw.map((m) => (m.event as { producedAt: string }).producedAt)).toEqual([
      '1970-01-01T00:00:01.000000Z',
      '1970-01-01T00:00:01.000001Z',
      '1970-01-01T00:00:01.000003Z',
    ]);
    const [letter] = first.sent.filter((s) => s.topic === TOPICS.usersDlq).flatMap((s) => s.messages);
    expect(DeadLetterEvent.parse(letter.event).payload.originalEventId).toBe(
      a.status === 202 ? a.body.rejected[0].eventId : '',
    );
  });

  it('keeps keys of different API keys apart', async () => {
    const keys = memoryKeys();
    const r = replica(keys, 1_000_000n);
    const a = await r.push.execute(people(), headers);
    const b = await r.push.execute(people(), { ...headers, apiKey: 'another-api-key' });
    expect(a.status === 202 && b.status === 202 && a.body.batchId !== b.body.batchId).toBe(true);
    expect([...keys.entries.keys()].join()).not.toContain('dev-ingestion-key');
  });

  it('answers a retry whose JSON has its keys in another order as the same push, not 422', async () => {
    const keys = memoryKeys();
    const first = replica(keys, 1_000_000n);
    const retry = replica(keys, 9_000_000n);
    const reordered = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reordered)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .reverse()
                .map((k) => [k, reordered((v as Record<string, unknown>)[k])]),
            )
          : v;
    const a = await first.push.execute(people(), headers);
    const b = await retry.push.execute(reordered(people()), headers);
    expect(b.status).toBe(202);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    // The same events; a dead letter carries the refused person as it was sent, its keys in their order.
    const raw = (r: ReturnType<typeof replica>) =>
      r.wire().filter((line) => line.startsWith(TOPICS.usersRaw));
    expect(raw(retry)).toEqual(raw(first));
    const ids = (r: ReturnType<typeof replica>) =>
      r.sent.flatMap((s) => s.messages.map((m) => (m.event as { eventId: string }).eventId));
    expect(ids(retry)).toEqual(ids(first));
  });

  it('answers a retry of a push whose key was stored with the former digest (keys in the order sent)', async () => {
    const keys = memoryKeys();
    const first = replica(keys, 1_000_000n);
    const a = await first.push.execute(people(), headers);
    // The entry as a release before canonical digests stored it.
    for (const entry of keys.entries.values()) entry.bodySha256 = formerBodyDigest(people());
    const b = await replica(keys, 9_000_000n).push.execute(people(), headers);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = await replica(keys, 9_000_000n).push.execute(people().slice(1), headers);
    expect(c.status).toBe(422);
  });

  it('refuses another body under a used key with 422 naming the header, and produces nothing', async () => {
    const keys = memoryKeys();
    await replica(keys, 1_000_000n).push.execute(people(), headers);
    const other = replica(keys, 2_000_000n);
    const outcome = await other.push.execute(people().slice(1), headers);
    const reused = expect.stringMatching(/^Idempotency-Key was already used for a different request body/);
    expect(outcome).toEqual({
      status: 422,
      body: refusedBody(422, 'SEMANTIC_INVALID', reused, [{ path: 'Idempotency-Key', message: reused }]),
    });
    expect(other.sent).toEqual([]);
  });

  it('answers 503 with Retry-After naming the store, and produces nothing, when the store does not answer', async () => {
    const down: KeyedPushStore = { claim: () => Promise.reject(new Error('no answer within 1000 ms')) };
    for (const keys of [down, undefined]) {
      const r = replica(keys, 1_000_000n);
      const outcome = await r.push.execute(people(), headers);
      const unanswered = expect.stringMatching(/^the idempotency store \(PostgreSQL\) did not answer/);
      expect(outcome).toEqual({
        status: 503,
        headers: { 'retry-after': '1' },
        body: refusedBody(503, 'POSTGRES_UNAVAILABLE', unanswered, [{ path: null, message: unanswered }]),
      });
      expect(r.sent).toEqual([]);
    }
  });

  it('refuses an invalid key with 400 naming the header before anything is produced or stored', async () => {
    const keys = memoryKeys();
    const r = replica(keys, 1_000_000n);
    const outcome = await r.push.execute(people(), { ...headers, idempotencyKey: 'has space' });
    const invalid = expect.stringMatching(/^Idempotency-Key must be one value/);
    expect(outcome).toEqual({
      status: 400,
      body: refusedBody(400, 'SCHEMA_INVALID', invalid, [{ path: 'Idempotency-Key', message: invalid }]),
    });
    expect(r.sent).toEqual([]);
    expect(keys.entries.size).toBe(0);
  });

  it('never asks the store for a push without the header: two pushes are two batches, as before', async () => {
    const keys = { claim: jest.fn() };
    const r = replica(keys, 1_000_000n);
    const a = await r.push.execute(people(), { apiKey: 'dev-ingestion-key' });
    const b = await r.push.execute(people(), { apiKey: 'dev-ingestion-key' });
    expect(keys.claim).not.toHaveBeenCalled();
    expect(a.status === 202 && b.status === 202 && a.body.batchId !== b.body.batchId).toBe(true);
  });
});
