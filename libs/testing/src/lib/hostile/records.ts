import * as fc from 'fast-check';
import { HEADERS, SCHEMA_VERSION, TOPICS, type TopicName } from '@sparkflow/contracts';
import { brokenJsonText, deepJsonText, hostileJsonValue, invalidUtf8 } from './json';
import { hostileNumber, jsonNumberLiteral } from './numbers';
import { aPerson, hostilePerson } from './people';
import { anyHostileString, hostileString, hugeString } from './strings';

/**
 * One record as a hostile producer writes it straight onto a topic, bypassing ingestion: any key,
 * any value, any headers. `eventId` and `userId` say whom the record claims to be about (when it
 * claims anything), so a test can look for it afterwards; `kind` says how it was built.
 */
export interface HostileRecord {
  topic: TopicName;
  kind: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, Buffer | string>;
  eventId: string | null;
  userId: string | null;
}

/** Kafka's default `message.max.bytes` is 1,048,588; values, keys and headers together stay below it. */
export const MAX_VALUE_BYTES = 950_000;

const bytes = (a: fc.Arbitrary<Uint8Array>) => a.map((u) => Buffer.from(u));

export const hostileKey = (): fc.Arbitrary<Buffer | string | null> =>
  fc.oneof(
    fc.constant(null),
    fc.uuid({ version: 4 }),
    hostileString({ minFragments: 0 }),
    bytes(invalidUtf8(64)),
    hugeString(1_000, 20_000),
  );

/** Header values for SparkFlow's own header names, and headers of any name. */
export const hostileHeaders = (): fc.Arbitrary<Record<string, Buffer | string>> =>
  fc
    .tuple(
      fc.record(
        {
          [HEADERS.eventId]: fc.oneof(fc.uuid({ version: 4 }), hostileString()),
          [HEADERS.batchId]: fc.oneof(hostileString(), hugeString(200, 10_000)),
          [HEADERS.batchSize]: fc.oneof(hostileNumber().map(String), jsonNumberLiteral(), hostileString()),
          [HEADERS.source]: fc.oneof(fc.constantFrom('http-push', 'synthetic', 'replay'), hostileString()),
          [HEADERS.schemaVersion]: fc.oneof(hostileNumber().map(String), hostileString()),
          [HEADERS.traceparent]: fc.oneof(
            fc.constant('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
            hostileString(),
          ),
        },
        { requiredKeys: [] },
      ),
      fc.dictionary(
        hostileString(),
        fc.oneof(hostileString({ minFragments: 0 }), bytes(invalidUtf8(128)), hugeString(1_000, 8_000)),
        { maxKeys: 3 },
      ),
    )
    .map(([ours, any]) => ({ ...any, ...ours }));

const envelope = (eventId: string, payload: unknown, over: Record<string, unknown> = {}) => ({
  eventId,
  schemaVersion: SCHEMA_VERSION,
  source: 'http-push',
  batchId: 'hostile',
  producedAt: new Date().toISOString(),
  payload,
  ...over,
});

/** Envelope fields a consumer must not trust: every one replaced by something hostile, or dropped. */
const hostileEnvelopeFields = (): fc.Arbitrary<Record<string, unknown>> =>
  fc.record(
    {
      eventId: fc.oneof(hostileString(), hostileNumber(), fc.constant(null)),
      schemaVersion: fc.oneof(hostileNumber(), hostileString()),
      source: fc.oneof(hostileString(), hostileJsonValue(1)),
      batchId: fc.oneof(hostileString(), hugeString(201, 50_000), hostileNumber()),
      producedAt: fc.oneof(
        hostileString(),
        fc.constantFrom(
          '0000-01-01T00:00:00Z',
          '9999-12-31T23:59:59Z',
          '2026-02-30T00:00:00Z',
          '+275760-09-13T00:00:00.001Z',
        ),
        hostileNumber(),
      ),
    },
    { requiredKeys: [] },
  );

/** A valid enriched user (`users.enriched` payload) for the person a raw record would become. */
export const anEnrichedUser = () =>
  aPerson().map((p) => ({
    userId: p.login.uuid,
    username: p.login.username,
    title: p.name.title,
    firstName: p.name.first,
    lastName: p.name.last,
    fullName: `${p.name.first} ${p.name.last}`,
    gender: p.gender,
    email: p.email,
    emailDomain: 'example.com',
    dob: p.dob.date,
    age: p.dob.age,
    ageBand: '25-34',
    registeredAt: p.registered.date,
    registrationCohort: p.registered.date.slice(0, 7),
    nationality: p.nat,
    countryCode: p.nat,
    country: p.location.country,
    state: p.location.state,
    city: p.location.city,
    street: `${p.location.street.number} ${p.location.street.name}`,
    postcode: String(p.location.postcode),
    latitude: 51.5072,
    longitude: -0.1276,
    geohash: 'gcpvj0',
    timezoneOffsetMinutes: 0,
    timezoneDescription: p.location.timezone.description,
    phone: p.phone,
    phoneE164: null,
    cell: p.cell,
    cellE164: null,
    nationalIdName: p.id.name,
    nationalIdValue: p.id.value,
    pictureUrl: p.picture.large,
    qualityScore: 0.8,
    qualityReasons: ['phone-not-e164'],
  }));

const ENRICHED_TEXT_FIELDS = [
  'username',
  'title',
  'firstName',
  'lastName',
  'fullName',
  'gender',
  'email',
  'emailDomain',
  'country',
  'state',
  'city',
  'street',
  'postcode',
  'timezoneDescription',
  'phone',
  'cell',
  'nationalIdValue',
  'pictureUrl',
] as const;
const ENRICHED_ANY_FIELDS = [
  ...ENRICHED_TEXT_FIELDS,
  'userId',
  'dob',
  'age',
  'ageBand',
  'registeredAt',
  'registrationCohort',
  'nationality',
  'countryCode',
  'latitude',
  'longitude',
  'geohash',
  'timezoneOffsetMinutes',
  'qualityScore',
  'qualityReasons',
] as const;

/** An enriched user whose text fields are hostile, or any of whose fields is replaced by anything. */
const hostileEnrichedUser = () =>
  fc.oneof(
    fc
      .tuple(
        anEnrichedUser(),
        fc.dictionary(fc.constantFrom(...ENRICHED_TEXT_FIELDS), anyHostileString(), {
          minKeys: 1,
          maxKeys: 4,
        }),
      )
      .map(([u, over]) => ({ ...u, ...over })),
    fc
      .tuple(
        anEnrichedUser(),
        fc.dictionary(
          fc.constantFrom(...ENRICHED_ANY_FIELDS),
          fc.oneof(hostileNumber(), hostileJsonValue(2), anyHostileString()),
          { minKeys: 1, maxKeys: 4 },
        ),
      )
      .map(([u, over]) => ({ ...u, ...over })),
  );

const hostileDeadLetter = () =>
  fc.record({
    stage: fc.oneof(fc.constantFrom('ingestion', 'enrichment', 'persistence', 'audit'), hostileString()),
    reasons: fc.oneof(
      fc.array(
        fc.record({
          code: fc.oneof(fc.constantFrom('SCHEMA_INVALID', 'UNKNOWN'), hostileString()),
          message: anyHostileString(),
          path: fc.oneof(fc.constant(null), hostileString()),
        }),
        { maxLength: 3 },
      ),
      hostileJsonValue(2),
    ),
    originalTopic: fc.oneof(fc.constantFrom(...Object.values(TOPICS)), hostileString()),
    partition: fc.oneof(fc.nat(5), hostileNumber()),
    offset: fc.oneof(fc.nat().map(String), jsonNumberLiteral(), hostileString()),
    key: fc.oneof(fc.constant(null), fc.uuid({ version: 4 }), hostileString()),
    originalEventId: fc.oneof(fc.constant(null), fc.uuid({ version: 4 }), hostileString()),
    originalBatchId: fc.oneof(fc.constant(null), hostileString(), hugeString(201, 20_000)),
    payload: anyHostileString(),
    payloadEncoding: fc.oneof(fc.constantFrom('utf8', 'base64'), hostileString()),
    attempts: fc.oneof(fc.integer({ min: 1, max: 5 }), hostileNumber()),
    failedAt: fc.oneof(fc.constant(new Date().toISOString()), hostileString()),
  });

const hostilePersistedAck = () =>
  fc.record({
    userId: fc.oneof(fc.uuid({ version: 4 }), hostileString()),
    enrichedEventId: fc.oneof(fc.uuid({ version: 4 }), hostileString()),
    writtenAt: fc.oneof(fc.constant(new Date().toISOString()), hostileString(), hostileNumber()),
  });

function hostilePayloadFor(topic: TopicName): fc.Arbitrary<unknown> {
  switch (topic) {
    case TOPICS.usersRaw:
      return hostilePerson();
    case TOPICS.usersEnriched:
      return hostileEnrichedUser();
    case TOPICS.usersDlq:
      return hostileDeadLetter();
    case TOPICS.usersPersisted:
      return hostilePersistedAck();
    default:
      return hostileJsonValue();
  }
}

function userIdIn(payload: unknown): string | null {
  const p = payload as { login?: { uuid?: unknown }; userId?: unknown } | null;
  const id =
    typeof p?.login?.uuid === 'string' ? p.login.uuid : typeof p?.userId === 'string' ? p.userId : null;
  return id;
}

type Value = { kind: string; value: Buffer | string | null; eventId: string | null; userId: string | null };

/** Values for a topic: bytes, almost-JSON, deep nesting, any JSON, hostile envelopes, hostile payloads in valid envelopes. */
export function hostileValue(topic: TopicName): fc.Arbitrary<Value> {
  const none = { eventId: null, userId: null };
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({ kind: 'null value', value: null, ...none }) },
    {
      weight: 2,
      arbitrary: bytes(invalidUtf8()).map((value) => ({ kind: 'invalid UTF-8', value, ...none })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 100_000, max: MAX_VALUE_BYTES }), fc.integer({ min: 0, max: 255 }))
        .map(([n, b]) => ({ kind: `${n} bytes of 0x${b.toString(16)}`, value: Buffer.alloc(n, b), ...none })),
    },
    { weight: 2, arbitrary: brokenJsonText().map((value) => ({ kind: 'broken JSON', value, ...none })) },
    {
      weight: 1,
      arbitrary: deepJsonText(1, 400_000).map((value) => ({ kind: 'deep JSON', value, ...none })),
    },
    {
      weight: 2,
      arbitrary: hostileJsonValue().map((v) => ({
        kind: 'any JSON',
        value: JSON.stringify(v) ?? 'null',
        ...none,
      })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.uuid({ version: 4 }), hostilePayloadFor(topic), hostileEnvelopeFields())
        .map(([eventId, payload, over]) => ({
          kind: 'hostile envelope',
          value: JSON.stringify(envelope(eventId, payload, over)),
          eventId: typeof over['eventId'] === 'string' ? over['eventId'] : 'eventId' in over ? null : eventId,
          userId: userIdIn(payload),
        })),
    },
    {
      weight: 6,
      arbitrary: fc.tuple(fc.uuid({ version: 4 }), hostilePayloadFor(topic)).map(([eventId, payload]) => ({
        kind: 'hostile payload',
        value: JSON.stringify(envelope(eventId, payload)),
        eventId,
        userId: userIdIn(payload),
      })),
    },
  );
}

/** A whole record for `topic`. Its size stays below the broker's limit so that the broker takes it. */
export const hostileRecord = (topic: TopicName): fc.Arbitrary<HostileRecord> =>
  fc
    .tuple(hostileKey(), hostileValue(topic), hostileHeaders())
    .map(([key, v, headers]) => ({
      topic,
      kind: v.kind,
      key,
      value: v.value,
      headers,
      eventId: v.eventId,
      userId: v.userId,
    }))
    .filter((r) => recordBytes(r) < 1_000_000);

export function recordBytes(r: Pick<HostileRecord, 'key' | 'value' | 'headers'>): number {
  const size = (v: Buffer | string | null) =>
    v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
  return (
    size(r.key) +
    size(r.value) +
    Object.entries(r.headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + size(v), 0)
  );
}
