/**
 * Writes fixtures/bad-input.json: the bad-input corpus, each case with the channel it arrives on and
 * the outcome SparkFlow owes it (an HTTP status, or a dead letter with a reason code and field, or a
 * stored row). Built from fixed synthetic users so the file is stable; rerun after changing a case:
 *   npx tsx --tsconfig tsconfig.base.json apps/pipeline-e2e/scripts/build-bad-input.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateUsers } from '@sparkflow/sources';
import type { BadInputCase } from '../src/bad-input-case';

type Json = Record<string, unknown>;
type Case = BadInputCase;

const users = generateUsers({ seed: 'bad-input-corpus', count: 80, page: 1 }) as unknown as Json[];
let next = 0;
const user = (): Json => structuredClone(users[next++]);
const set = (u: Json, path: string, value: unknown): Json => {
  const keys = path.split('.');
  let at = u;
  for (const k of keys.slice(0, -1)) at = at[k] as Json;
  if (value === undefined) delete at[keys[keys.length - 1]];
  else at[keys[keys.length - 1]] = value;
  return u;
};
const raw = (name: string, path: string, value: unknown, code: string, reasonPath = `payload.${path}`): Case => ({
  name,
  channel: 'users.raw',
  body: set(user(), path, value),
  envelope: true,
  expect: { deadLetter: { code, path: reasonPath, stage: 'enrichment' } },
});
const http = (name: string, path: string, value: unknown): Case => ({
  name,
  channel: 'http',
  body: set(user(), path, value),
  expect: { status: 400 },
});

const cases: Case[] = [
  // HTTP: shape and transport faults answered with a 4xx, nothing produced.
  { name: 'http: malformed JSON', channel: 'http', text: '{"results": [', expect: { status: 400 } },
  { name: 'http: truncated JSON string', channel: 'http', text: '{"gender": "fem', expect: { status: 400 } },
  { name: 'http: empty body', channel: 'http', text: '', expect: { status: 400 } },
  { name: 'http: JSON null', channel: 'http', body: null, expect: { status: 400 } },
  { name: 'http: JSON number', channel: 'http', body: 42, expect: { status: 400 } },
  { name: 'http: JSON string', channel: 'http', body: 'a user', expect: { status: 400 } },
  { name: 'http: empty array', channel: 'http', body: [], expect: { status: 400 } },
  { name: 'http: empty results', channel: 'http', body: { results: [] }, expect: { status: 400 } },
  { name: 'http: deep nesting', channel: 'http', nestingDepth: 5000, expect: { status: 400 } },
  { name: 'http: invalid UTF-8 body', channel: 'http', bytesBase64: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64'), expect: { status: 400 } },
  { name: 'http: wrong content type', channel: 'http', text: JSON.stringify(users[0]), headers: { 'content-type': 'text/plain' }, expect: { status: 415 } },
  { name: 'http: no API key', channel: 'http', body: user(), headers: { 'x-api-key': '' }, expect: { status: 401 } },
  { name: 'http: wrong API key', channel: 'http', body: user(), headers: { 'x-api-key': 'not-a-real-key' }, expect: { status: 401 } },
  { name: 'http: oversized body', channel: 'http', body: user(), padFirstNameTo: 6 * 1024 * 1024, expect: { status: 413 } },
  http('http: missing e-mail', 'email', undefined),
  http('http: e-mail is a number', 'email', 12345),
  http('http: login.uuid not a UUID', 'login.uuid', 'user-1'),
  http('http: login.uuid missing', 'login.uuid', undefined),
  http('http: dob.date not a date', 'dob.date', 'last tuesday'),
  http('http: dob.age a string', 'dob.age', 'forty'),
  http('http: nationality of three letters', 'nat', 'GBR'),
  http('http: postcode an object', 'location.postcode', { code: 'EC1A' }),
  http('http: postcode a boolean', 'location.postcode', true),
  http('http: postcode a fraction', 'location.postcode', 12.5),
  http('http: coordinates as numbers', 'location.coordinates', { latitude: 51.5, longitude: -0.1 }),
  http('http: first name empty', 'name.first', ''),
  http('http: name missing', 'name', undefined),
  http('http: location missing', 'location', undefined),
  http('http: street number a string', 'location.street.number', 'twelve'),
  http('http: picture a string', 'picture', 'https://example.com/p.jpg'),

  // users.raw: written straight onto the topic, past the HTTP checks; each must be dead-lettered with its reason.
  { name: 'raw: not JSON', channel: 'users.raw', text: 'definitely not json', expect: { deadLetter: { code: 'MALFORMED_JSON', stage: 'enrichment' } } },
  { name: 'raw: invalid UTF-8', channel: 'users.raw', bytesBase64: Buffer.from([0xc3, 0x28, 0xa0, 0xa1]).toString('base64'), expect: { deadLetter: { code: 'MALFORMED_JSON', stage: 'enrichment' } } },
  { name: 'raw: empty value', channel: 'users.raw', text: '', expect: { deadLetter: { code: 'MALFORMED_JSON', stage: 'enrichment' } } },
  { name: 'raw: JSON null', channel: 'users.raw', body: null, expect: { deadLetter: { code: 'SCHEMA_INVALID', stage: 'enrichment' } } },
  { name: 'raw: JSON array', channel: 'users.raw', body: [1, 2, 3], expect: { deadLetter: { code: 'SCHEMA_INVALID', stage: 'enrichment' } } },
  { name: 'raw: envelope without payload', channel: 'users.raw', body: { schemaVersion: 1 }, expect: { deadLetter: { code: 'SCHEMA_INVALID', stage: 'enrichment' } } },
  raw('raw: missing e-mail', 'email', undefined, 'SCHEMA_INVALID'),
  raw('raw: mistyped age', 'dob.age', 'forty', 'SCHEMA_INVALID'),
  raw('raw: impossible calendar date', 'registered.date', '2021-02-30T25:61:00.000Z', 'SCHEMA_INVALID'),
  raw('raw: birth in the future', 'dob.date', '2999-01-01T00:00:00.000Z', 'SEMANTIC_INVALID'),
  raw('raw: born 200 years ago', 'dob.date', '1826-01-01T00:00:00.000Z', 'SEMANTIC_INVALID'),
  raw('raw: registered in the future', 'registered.date', '2999-06-01T00:00:00.000Z', 'SEMANTIC_INVALID'),
  raw('raw: registered before birth', 'registered.date', '1901-01-01T00:00:00.000Z', 'SEMANTIC_INVALID'),
  raw('raw: control characters in a name', 'name.first', 'Ann\u0000\u0007e', 'SEMANTIC_INVALID'),
  raw('raw: e-mail without @', 'email', 'not-an-email.example.com', 'SEMANTIC_INVALID'),
  raw('raw: e-mail with two @', 'email', 'a@b@example.com', 'SEMANTIC_INVALID'),
  raw('raw: huge first name', 'name.first', 'A'.repeat(5000), 'SCHEMA_INVALID'),
  raw('raw: huge city', 'location.city', 'C'.repeat(20_000), 'SCHEMA_INVALID'),
  raw('raw: blank last name', 'name.last', '   ', 'SCHEMA_INVALID'),
  raw('raw: nationality with digits', 'nat', 'G1', 'SCHEMA_INVALID'),
  {
    name: 'raw: schema version from the future',
    channel: 'users.raw',
    body: { eventId: '00000000-0000-4000-8000-000000000000', schemaVersion: 2, source: 'http-push', batchId: 'x', producedAt: '2026-01-01T00:00:00Z', payload: {} },
    expect: { deadLetter: { code: 'UNSUPPORTED_SCHEMA_VERSION', path: 'schemaVersion', stage: 'enrichment' } },
  },

  // users.enriched: poison written past enrichment is dead-lettered by persistence, never written.
  { name: 'enriched: not JSON', channel: 'users.enriched', text: '<xml/>', expect: { deadLetter: { code: 'MALFORMED_JSON', stage: 'persistence' } } },
  { name: 'enriched: invalid UTF-8', channel: 'users.enriched', bytesBase64: Buffer.from([0xff, 0xff, 0xff]).toString('base64'), expect: { deadLetter: { code: 'MALFORMED_JSON', stage: 'persistence' } } },
  { name: 'enriched: payload without a user id', channel: 'users.enriched', body: { fullName: 'Nobody' }, envelope: true, expect: { deadLetter: { code: 'SCHEMA_INVALID', stage: 'persistence', path: 'payload.userId' } } },

  // Valid but hostile or unusual: stored exactly as meant.
  { name: 'valid: SQL injection in a name', channel: 'users.raw', body: set(user(), 'name.first', "Robert'); DROP TABLE users;--"), envelope: true, expect: { stored: { first_name: "Robert'); DROP TABLE users;--" } } },
  { name: 'valid: CQL injection in an e-mail', channel: 'users.raw', body: set(user(), 'email', "x'+OR+'1'='1@example.com"), envelope: true, expect: { stored: { email: "x'+or+'1'='1@example.com" } } },
  { name: 'valid: lower-case padded postcode', channel: 'users.raw', body: set(user(), 'location.postcode', '  ec1a  1bb '), envelope: true, expect: { stored: { postcode: 'EC1A 1BB' } } },
  { name: 'valid: numeric postcode zero', channel: 'users.raw', body: set(user(), 'location.postcode', 0), envelope: true, expect: { stored: { postcode: '0' } } },
  { name: 'valid: extra fields are ignored', channel: 'users.raw', body: set(user(), 'favouriteColour', 'teal'), envelope: true, expect: { stored: {} } },
];

writeFileSync(join(__dirname, '..', 'fixtures', 'bad-input.json'), `${JSON.stringify({ cases }, null, 1)}\n`);
console.log(`wrote ${cases.length} cases`);
