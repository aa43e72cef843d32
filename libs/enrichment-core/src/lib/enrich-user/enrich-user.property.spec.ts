import * as fc from 'fast-check';
import { DeadLetterReason, EnrichedUser } from '@sparkflow/contracts';
import { datedPerson, describeHostile, hostilePerson } from '@sparkflow/testing';
import { enrichUser } from './enrich-user';

describe('enrichUser, whatever the person', () => {
  it('refuses it with reasons the contract accepts, or returns an EnrichedUser the contract accepts unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(hostilePerson(), datedPerson()), (person) => {
        const result = enrichUser(person, new Date());
        if (!result.ok) {
          expect(result.reasons.length).toBeGreaterThan(0);
          for (const reason of result.reasons) DeadLetterReason.parse(reason);
          return;
        }
        const judged = EnrichedUser.safeParse(result.user);
        if (!judged.success) {
          throw new Error(
            `enriched ${describeHostile(person)} into what the contract refuses: ${JSON.stringify(judged.error.issues)}`,
          );
        }
        expect(judged.data).toEqual(result.user);
      }),
      { seed: 20261130, numRuns: 400 },
    );
  });

  it('accepts no text a store would change: every string it returns is well-formed Unicode', () => {
    // encodeURIComponent refuses exactly the strings UTF-8 cannot encode.
    const encodable = (v: string) => {
      try {
        encodeURIComponent(v);
        return true;
      } catch {
        return false;
      }
    };
    const illFormed = (v: unknown, path: string): string[] =>
      typeof v === 'string'
        ? encodable(v)
          ? []
          : [path]
        : v !== null && typeof v === 'object'
          ? Object.entries(v).flatMap(([k, x]) => illFormed(x, path ? `${path}.${k}` : k))
          : [];
    fc.assert(
      fc.property(hostilePerson(), (person) => {
        const result = enrichUser(person, new Date());
        if (result.ok) expect(illFormed(result.user, '')).toEqual([]);
      }),
      { seed: 20261202, numRuns: 400 },
    );
  });
});
