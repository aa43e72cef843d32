import fc from 'fast-check';
import { perSecond } from './audit-events.repository';

const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);

describe("a batch report's throughput", () => {
  it('is within 5% of the true rate for any count over any duration, never 0 for a batch that persisted people', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 0.001, max: 1e7, noNaN: true }),
        (count, seconds) => {
          const rate = count / seconds;
          const shown = perSecond(count, seconds);
          expect(shown).toBeGreaterThan(0);
          expect(Math.abs(shown - rate) / rate).toBeLessThanOrEqual(0.05);
        },
      ),
      { seed: SEED, numRuns: 5000 },
    );
    expect([perSecond(3, 204), perSecond(1000, 10), perSecond(95, 10)]).toEqual([0.015, 100, 9.5]);
  });
});
