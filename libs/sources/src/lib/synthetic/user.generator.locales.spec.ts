import { createHash } from 'node:crypto';
import { NATIONALITIES, type Nationality } from './nationalities';
import { generateUsers } from './user.generator';

/**
 * The same seed gives the same people, byte for byte, on every machine and every version: a synthetic
 * request retried after an upgrade rewrites the cells of its first pass (RELIABILITY, "A retried synthetic
 * request …"), and `npm start --seed` finds the users it made before. These digests were taken from the
 * generator when it drew every nationality from `[allLocales[code], en, base]` of faker's main entry; it now
 * loads one locale entry at a time, whose fallbacks differ for de_CH and es_MX (they fall back to de and es
 * before en), and must still draw the same people. A change that moves any user of a nationality fails here
 * naming it; a deliberate change of the people generated updates the digests and says so in its commit.
 */
const DIGESTS: Record<Nationality, string> = {
  AU: '6c7adb4281f1a34dfe353b493e7e4076',
  BR: 'c2c8f78250dc691a2d9f1b2ad38e919f',
  CA: '009fa6f5d104ea0a117fcdf46fd1166d',
  CH: 'e0d4e8bfa180563b95ebd305961363c4',
  DE: '15edd68bc215972c9eb76be02dd51688',
  DK: '06331e6eadaea6272d8327f4e829b98f',
  ES: '6ad7639cae057821266b84c90b2debfa',
  FI: 'b722c36ee56bc27feac45d61466f871b',
  FR: 'a35bdf7c3367781e72a262560648f49c',
  GB: '255147679957a0c08ef7bdf98d442118',
  IE: '0d09278a8ff6cec900719d16ea525942',
  IN: 'a167ada88e47ee3b89a161a9d158e67a',
  IR: '70c027d0deedfca88b411e97e70538de',
  MX: 'cfe03dafb29c0ae8a182f6cddfb6f639',
  NL: 'd2d0761ebfef9ac2c128bdc803419c7a',
  NO: '324868191f4ce5bcc1f43a24c8768d21',
  NZ: 'bc39d018d8abd2677e5176d5ef26b896',
  RS: '3634fd29f50566bd1f7ccf5c37a39360',
  TR: '09306d39dc6ed83cf37944f990dae27d',
  UA: '453feca07bdcdd8bba47cfc84f932a47',
  US: '77c5e1c4fa49ff87e61944e5dbdc9b70',
};

function digest(nat: Nationality): string {
  const users = [
    ...generateUsers({ seed: `golden-${nat}`, count: 200, nat: [nat] }),
    ...generateUsers({ seed: 'golden', count: 50, page: 3, nat: [nat], day: '2026-03-01' }),
  ];
  return createHash('sha256').update(JSON.stringify(users)).digest('hex').slice(0, 32);
}

describe('the people a seed gives', () => {
  it.each(NATIONALITIES)('are those of earlier versions for %s', (nat) => {
    expect(digest(nat)).toBe(DIGESTS[nat]);
  });

  it("come without loading faker's main entry, which brings every locale it has", () => {
    let generate: typeof generateUsers | undefined;
    jest.isolateModules(() => {
      jest.doMock('@faker-js/faker', () => {
        throw new Error('the main entry of @faker-js/faker was loaded');
      });
      generate = jest.requireActual<typeof import('./user.generator')>('./user.generator').generateUsers;
    });
    const users = generate?.({ seed: 'main-entry', count: 400 }) ?? [];
    expect(new Set(users.map((u) => u.nat))).toEqual(new Set(NATIONALITIES));
  });
});
