import fc from 'fast-check';
import { parseRunArgs } from './run-pipeline-args';

const NOW = new Date('2026-12-03T06:50:00.000Z');

/** Command lines of the kind a user types or a script builds: mostly option and value pairs, values near their bounds, junk. */
const values = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '-1',
    '007',
    '1e3',
    '10.5',
    ' 5',
    '9007199254740993',
    '99999999999999999999',
    '--users',
  ),
  fc.integer({ min: -5, max: 300_000 }).map(String),
  fc.string({ maxLength: 12 }),
);
const argvs = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constantFrom('--users', '--seed', '--timeout'), values) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('--help', '-h', '--user', '--', ''), values) },
      { weight: 1, arbitrary: values.map((v) => [v] as const) },
    ),
    { maxLength: 4 },
  )
  .map((pairs) => pairs.flat());

describe('npm start options', () => {
  it('run with bounded whole numbers and a real seed, or are refused naming the option (seeded property)', () => {
    fc.assert(
      fc.property(argvs, (argv) => {
        const parsed = parseRunArgs(argv, NOW);
        if (parsed.kind === 'help') {
          expect(argv.some((a) => a === '--help' || a === '-h')).toBe(true);
        } else if (parsed.kind === 'refused') {
          // The problem names the option it stopped at, quoted as JSON when it is not one it knows.
          expect(
            argv.some((a) => a !== '' && parsed.problem.startsWith(`${a} takes `)) ||
              argv.some((a) => parsed.problem === `unknown option ${JSON.stringify(a)}`),
          ).toBe(true);
        } else {
          const { users, seed, timeout } = parsed.options;
          for (const n of [users, timeout]) {
            expect(Number.isSafeInteger(n)).toBe(true);
            expect(n).toBeGreaterThan(0);
          }
          expect(seed.length).toBeGreaterThan(0);
          expect(seed.startsWith('--')).toBe(false);
          // Each value given is the one used: the last of an option repeated.
          const last = (flag: string) => {
            const i = argv.lastIndexOf(flag);
            return i < 0 ? undefined : argv[i + 1];
          };
          if (last('--users') !== undefined) expect(String(users)).toBe(String(Number(last('--users'))));
          if (last('--seed') !== undefined) expect(seed).toBe(last('--seed'));
        }
      }),
      { seed: 20261203, numRuns: 2000 },
    );
  });

  it('defaults to 10,000 users, a seed named by the time and a 600 s wait', () => {
    expect(parseRunArgs([], NOW)).toEqual({
      kind: 'run',
      options: { users: 10_000, seed: 'run-2026-12-03T06-50-00-000Z', timeout: 600 },
    });
  });

  it('refuses a user count past what a number holds exactly, naming it', () => {
    expect(parseRunArgs(['--users', '99999999999999999999'], NOW)).toEqual({
      kind: 'refused',
      problem: '--users takes a whole number of users above 0, got "99999999999999999999"',
    });
  });
});
