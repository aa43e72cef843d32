import fc from 'fast-check';
import type { RegisteredBatch } from '../record-events/audit-events.repository';
import { deleteGroups } from './forget-settled-batches';

const batchOf = (rows: number, i: number): RegisteredBatch => ({
  cursor: { createdAtMicros: BigInt(i), batchId: `b${i}` },
  expected: null,
  lastRecordedAt: null,
  rows,
  ingested: rows,
  enriched: 0,
  deadLettered: 0,
  persisted: 0,
});

describe('deleteGroups', () => {
  it('cuts the batches, in order, into groups within the row budget, a larger batch alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 200 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 150 }),
        (rows, budget) => {
          const batches = rows.map(batchOf);
          const groups = deleteGroups(batches, budget);
          expect(groups.flat()).toEqual(batches);
          for (const g of groups) {
            const sum = g.reduce((n, b) => n + b.rows, 0);
            expect(g.length > 0 && (sum <= budget || g.length === 1)).toBe(true);
          }
          // Greedy: no group could have taken the next group's first batch.
          for (let i = 1; i < groups.length; i++) {
            const sum = groups[i - 1].reduce((n, b) => n + b.rows, 0);
            expect(sum + groups[i][0].rows).toBeGreaterThan(budget);
          }
        },
      ),
      { seed: 20261205 },
    );
  });
});
