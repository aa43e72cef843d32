import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RandomUserResponse, type FullRandomUser } from '@sparkflow/contracts';

/**
 * The contract's own sample, five people exactly as randomuser.me 1.4 sends them, which libs/contracts'
 * specs read too. Read here, in one place, not imported: the contracts package does not export it.
 */
const FIXTURE = join(
  resolve(__dirname, '..', '..', '..', '..', '..'),
  'libs/contracts/src/fixtures/randomuser-response.json',
);
let fixture: RandomUserResponse | undefined;
const sample = () => (fixture ??= RandomUserResponse.parse(JSON.parse(readFileSync(FIXTURE, 'utf8'))));

/**
 * A whole randomuser.me answer (`{results: [5 people], info}`), a fresh copy each call so a spec may
 * change it: what ingestion accepts on `POST /v1/users` and from `RANDOMUSER_URL`.
 */
export function randomUserResponse(): RandomUserResponse {
  return structuredClone(sample());
}

export type FixtureNat = 'GB' | 'CA' | 'US' | 'IE' | 'CH';

/** A fresh, mutable copy of one fixture record (randomuser.me 1.4 as sent), for specs to build variants from. */
export function aRandomUser(nat: FixtureNat = 'GB'): FullRandomUser {
  const user = (sample().results as FullRandomUser[]).find((candidate) => candidate.nat === nat);
  if (!user) throw new Error(`no ${nat} user in the randomuser fixture`);
  return structuredClone(user);
}

function parentOf(payload: unknown, path: string): [Record<string, unknown>, string] {
  const keys = path.split('.');
  const last = keys.pop() ?? path;
  let target = payload as Record<string, unknown>;
  for (const key of keys) target = target[key] as Record<string, unknown>;
  return [target, last];
}

/** Sets a dotted path on a payload to any value, including ones its type forbids, to build invalid records. */
export function withValue<T>(payload: T, path: string, value: unknown): T {
  const [parent, key] = parentOf(payload, path);
  parent[key] = value;
  return payload;
}

/** Removes a dotted path from a payload. */
export function without<T>(payload: T, path: string): T {
  const [parent, key] = parentOf(payload, path);
  delete parent[key];
  return payload;
}
