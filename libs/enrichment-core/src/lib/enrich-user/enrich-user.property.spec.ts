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
});
