import fc from 'fast-check';
import { poolSize, splitPoolBudget } from './pool-budget';

const INGESTION = { 'sparkflow-backfills': 4, 'sparkflow-idempotency': 8, 'sparkflow-rate-limit': 8 };

describe('splitPoolBudget', () => {
  it("gives each pool its default when the budget is the defaults' sum", () => {
    expect(splitPoolBudget(20, INGESTION)).toEqual(INGESTION);
    expect(splitPoolBudget(10, { 'sparkflow-audit': 10 })).toEqual({ 'sparkflow-audit': 10 });
  });

  it('splits a smaller budget in proportion, the left-over connections to the largest fractions', () => {
    // 8 × 4/20 = 1.6, 8 × 8/20 = 3.2 twice: 1 + 3 + 3, and the one left over to the backfills' 0.6.
    expect(splitPoolBudget(8, INGESTION)).toEqual({
      'sparkflow-backfills': 2,
      'sparkflow-idempotency': 3,
      'sparkflow-rate-limit': 3,
    });
    // 5 × 0.2 = 1, 5 × 0.4 = 2 twice: exact.
    expect(splitPoolBudget(5, INGESTION)).toEqual({
      'sparkflow-backfills': 1,
      'sparkflow-idempotency': 2,
      'sparkflow-rate-limit': 2,
    });
  });

  it('gives every pool at least one connection, taken from the largest share', () => {
    // 3 × 1/12 = 0.25 rounds to 0: a takes one from b, the largest.
    expect(splitPoolBudget(3, { a: 1, b: 11 })).toEqual({ a: 1, b: 2 });
    expect(splitPoolBudget(3, INGESTION)).toEqual({
      'sparkflow-backfills': 1,
      'sparkflow-idempotency': 1,
      'sparkflow-rate-limit': 1,
    });
  });

  it('refuses a budget smaller than the number of pools, or not whole', () => {
    expect(() => splitPoolBudget(2, INGESTION)).toThrow(
      /a budget of 2 cannot give each of 3 pools a connection/,
    );
    expect(() => splitPoolBudget(7.5, INGESTION)).toThrow(/a budget of 7.5/);
  });

  it('always adds up to the budget exactly, with every pool at 1 or more (seeded property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 500 }),
        (defaults, extra) => {
          const pools = Object.fromEntries(defaults.map((d, i) => [`pool-${i}`, d]));
          const budget = defaults.length + extra;
          const sizes = Object.values(splitPoolBudget(budget, pools));
          expect(sizes.reduce((a, b) => a + b, 0)).toBe(budget);
          expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
        },
      ),
      { seed: 20261203 },
    );
  });
});

describe('poolSize', () => {
  it("is the pool's share of the budget, or its default when the process sets none", () => {
    expect(poolSize(splitPoolBudget(8, INGESTION), 'sparkflow-idempotency', 8)).toBe(3);
    expect(poolSize(undefined, 'sparkflow-idempotency', 8)).toBe(8);
  });

  it('refuses a pool the budget was not split for, naming it', () => {
    expect(() => poolSize(INGESTION, 'sparkflow-audit', 10)).toThrow(
      /POSTGRES_POOL_MAX is split among sparkflow-backfills, sparkflow-idempotency, sparkflow-rate-limit, not sparkflow-audit/,
    );
  });
});
