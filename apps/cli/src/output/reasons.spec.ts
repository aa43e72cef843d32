import fc from 'fast-check';
import { visible } from './output';
import { faultLine, reasonLine, reasonPath, reasonWords, type ReasonLike } from './reasons';

/** What a reason's path may be on the wire: a field, the whole body (""), none (null), or left out. */
const noPart = fc.constantFrom<unknown>('', null, undefined);
const part = fc.string({ minLength: 1, maxLength: 20 });
const code = fc.constantFrom('SCHEMA_INVALID', 'MALFORMED_JSON', 'SEMANTIC_INVALID', 'RECORD_TOO_LARGE');
const message = fc.string({ maxLength: 40 });
const reason = (path: fc.Arbitrary<unknown>) =>
  fc
    .record({ code, message, path })
    .map(({ path: p, ...r }): ReasonLike => (p === undefined ? r : { ...r, path: p }));

const RUNS = { seed: 20261203, numRuns: 500 };

describe('a reason as the CLI prints it', () => {
  it('names no part for a reason about the whole body or none: its message alone, or after its code', () => {
    fc.assert(
      fc.property(reason(noPart), (r) => {
        const [c, m] = [String(r.code), visible(String(r.message))];
        expect(reasonPath(r)).toBeNull();
        expect(reasonWords(r)).toBe(`${c} ${m}`);
        expect(reasonLine(r)).toBe(`${c}: ${m}`);
        expect(faultLine(r, (p) => `--${p}`)).toBe(m);
      }),
      RUNS,
    );
  });

  it('prints a reason naming a part as before: the part, then the message', () => {
    fc.assert(
      fc.property(reason(part), (r) => {
        const [c, p, m] = [String(r.code), visible(String(r.path)), visible(String(r.message))];
        expect(reasonWords(r)).toBe(`${c} ${p} ${m}`);
        expect(reasonLine(r)).toBe(`${c} ${p}: ${m}`);
        expect(faultLine(r)).toBe(`${p}: ${m}`);
        expect(faultLine(r, (name) => (name === 'perDay' ? '--per-day' : name))).toBe(
          `${r.path === 'perDay' ? '--per-day' : p}: ${m}`,
        );
      }),
      RUNS,
    );
  });

  it('shows a control character in a server-given part or message escaped', () => {
    expect(reasonWords({ code: 'SCHEMA_INVALID', path: 'a\u001b[2J', message: 'x\u009b' })).toBe(
      'SCHEMA_INVALID a\\u001b[2J x\\u009b',
    );
  });
});
