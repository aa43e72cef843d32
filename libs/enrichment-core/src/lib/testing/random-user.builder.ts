import { RandomUserResponse, type FullRandomUser } from '@sparkflow/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Read, not imported: an import into libs/contracts by relative path breaks @nx/enforce-module-boundaries,
// and the contracts package does not export its fixture.
const FIXTURE = join(__dirname, '../../../../contracts/src/fixtures/randomuser-response.json');
let fixtureUsers: FullRandomUser[] | undefined;

export type FixtureNat = 'GB' | 'CA' | 'US' | 'IE' | 'CH';

/** A fresh, mutable copy of one fixture record (randomuser.me 1.4 as sent), for specs to build variants from. */
export function aRandomUser(nat: FixtureNat = 'GB'): FullRandomUser {
  fixtureUsers ??= RandomUserResponse.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')))
    .results as FullRandomUser[];
  const user = fixtureUsers.find((candidate) => candidate.nat === nat);
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
