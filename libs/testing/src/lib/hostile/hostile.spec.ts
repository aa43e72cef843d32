import { isUtf8 } from 'node:buffer';
import * as fc from 'fast-check';
import { RandomUser, TOPICS } from '@sparkflow/contracts';
import { describeHostile } from './describe';
import { withBytesNotUtf8InAString } from './json';
import { aPerson, heavyVersionsOfOnePerson, hostilePerson, mutated } from './people';
import { hostileRecord, recordBytes } from './records';
import { hostileString, hugeString } from './strings';

const SAMPLE = { numRuns: 3000, seed: 42 };

describe('hostile arbitraries', () => {
  it('builds people the randomuser contract accepts, each with its own login.uuid', () => {
    fc.assert(
      fc.property(aPerson(), (p) => RandomUser.safeParse(p).success),
      { seed: 1, numRuns: 300 },
    );
    const ids = fc.sample(aPerson(), { numRuns: 300, seed: 2 }).map((p) => p.login.uuid);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('makes bodies of one person over 1 MiB, each version under the 256 KB a person may take', () => {
    const bodies = fc.sample(heavyVersionsOfOnePerson(), { numRuns: 40, seed: 3 });
    for (const versions of bodies) {
      expect(new Set(versions.map((v) => (v as { login: { uuid: string } }).login.uuid)).size).toBe(1);
      for (const v of versions) expect(Buffer.byteLength(JSON.stringify(v))).toBeLessThan(256 * 1024);
    }
    const over = bodies.filter((b) => Buffer.byteLength(JSON.stringify(b)) > 1024 * 1024);
    expect(over.length).toBeGreaterThan(bodies.length / 2);
  });

  it('makes people whose text is not UTF-8 only inside a string value', () => {
    for (const body of fc.sample(withBytesNotUtf8InAString(aPerson().map((p) => JSON.stringify(p))), {
      numRuns: 200,
      seed: 4,
    })) {
      expect(isUtf8(body)).toBe(false);
      // Read leniently, the text is still a person's JSON.
      expect(() => JSON.parse(Buffer.from(body).toString('utf8'))).not.toThrow();
    }
  });

  it('produces every class of hostile character', () => {
    const text = fc.sample(hostileString(), SAMPLE).join('');
    /* eslint-disable no-control-regex -- control characters are what is looked for */
    const classes = {
      nul: /\u0000/,
      loneSurrogate: /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
      combiningMarks: /[\u0300-\u036f]{3}/,
      rightToLeft: /[\u202e\u2067\u0590-\u05ff\u0600-\u06ff]/,
      emoji: /\p{Extended_Pictographic}/u,
      control: /[\u0001-\u001f\u007f-\u009f]/,
    };
    /* eslint-enable no-control-regex */
    const missing = Object.entries(classes)
      .filter(([, re]) => !re.test(text))
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('makes huge strings of the requested UTF-8 size', () => {
    fc.assert(
      fc.property(hugeString(100_000, 200_000), (s) => {
        const bytes = Buffer.byteLength(s);
        return bytes <= 200_000 && bytes > 100_000 - 64;
      }),
      { seed: 3, numRuns: 50 },
    );
  });

  it('keeps every hostile record below the broker message limit', () => {
    for (const topic of Object.values(TOPICS)) {
      fc.assert(
        fc.property(hostileRecord(topic), (r) => recordBytes(r) < 1_000_000),
        { seed: 4, numRuns: 40 },
      );
    }
  });

  it('sets __proto__ as an own key of a person without touching Object.prototype', () => {
    const [person] = fc.sample(aPerson(), { numRuns: 1, seed: 5 });
    const hostile = mutated(person, [{ path: '__proto__', op: 'set', value: { polluted: true } }]);
    expect(JSON.stringify(hostile)).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('describes a megabyte counterexample in one short line, invisible characters spelled out', () => {
    const line = describeHostile({ name: '"'.repeat(900_000), first: 'a\u0000b\ud800' });
    expect(line.length).toBeLessThan(400);
    expect(line).toContain('900000 UTF-16 units');
    expect(line).toContain('a\\\\u0000b\\\\ud800');
  });

  it('mutates people anywhere, including into values of the wrong type', () => {
    const people = fc.sample(hostilePerson(), { numRuns: 200, seed: 6 });
    expect(people.filter((p) => RandomUser.safeParse(p).success).length).toBeGreaterThan(0);
    expect(people.filter((p) => !RandomUser.safeParse(p).success).length).toBeGreaterThan(0);
  });
});
