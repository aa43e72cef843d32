import { existsSync, mkdtempSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { rotateLogIfOver } from './log-rotation';

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

describe('rotateLogIfOver', () => {
  // Invariant: whatever the service writes between checks, after a check the log is under the cap (but
  // for what was written since the last check), and the log moved aside plus the log hold the newest
  // lines, each once, whole, in order; and the service's next line lands at the start of an emptied log.
  it('keeps the log under the cap and the newest lines in it and the one before', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat({ max: 200 }), { maxLength: 12 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 100, max: 4_000 }),
        (betweenChecks, cap) => {
          const file = join(mkdtempSync(join(tmpdir(), 'log-')), 'audit.log');
          // The service's descriptor and the supervisor's: two opens of the file in append mode.
          const service = openSync(file, 'a');
          const supervisor = openSync(file, 'a');
          const written: string[] = [];
          for (const pads of betweenChecks) {
            for (const pad of pads) {
              const line = `line ${written.length} ${'x'.repeat(pad)}`;
              written.push(line);
              writeSync(service, `${line}\n`);
            }
            const size = statSync(file).size;
            const moved = rotateLogIfOver(file, supervisor, cap);
            expect(moved).toBe(size > cap ? size : 0);
            expect(statSync(file).size).toBe(size > cap ? 0 : size);
          }
          const kept = [...lines(`${file}.1`), ...lines(file)];
          expect(kept).toEqual(written.slice(written.length - kept.length));
          expect(kept.length).toBeGreaterThanOrEqual(Math.min(written.length, 1));
        },
      ),
      { numRuns: 80, seed: 20261205 },
    );
  });

  it("lands the service's next line at the start of the emptied log, with no hole before it", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'log-')), 'enrichment.log');
    const service = openSync(file, 'a');
    writeSync(service, 'a'.repeat(500) + '\n');
    expect(rotateLogIfOver(file, openSync(file, 'a'), 100)).toBe(501);
    writeSync(service, 'after\n');
    expect(readFileSync(file, 'utf8')).toBe('after\n');
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('a'.repeat(500) + '\n');
  });
});
