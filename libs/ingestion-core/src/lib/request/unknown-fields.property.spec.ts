import fc from 'fast-check';
import type { z } from 'zod';
import { BackfillRequest } from '../backfills/backfills.service';
import { pullRequest } from '../sources/pull-users.use-case';
import { syntheticRequest } from '../sources/synthetic-users.use-case';
import { parseRequest } from './request-outcome';

/** Each generating request's schema, a body it takes, and the fields it declares. */
const BODIES: [string, z.ZodType, Record<string, unknown>, string[]][] = [
  ['synthetic', syntheticRequest(1000), { count: 1, seed: 'x' }, ['count', 'seed', 'page']],
  ['pulls', pullRequest(1000), { count: 1, seed: 'x' }, ['count', 'seed', 'nat']],
  [
    'backfills',
    BackfillRequest,
    { from: '2026-01-01', to: '2026-01-02', perDay: 1 },
    ['from', 'to', 'perDay', 'seed', 'source'],
  ],
];

/** A body as the JSON parser makes it: own properties, `__proto__` included. */
const asParsed = (body: Record<string, unknown>, extra: string, value: unknown) =>
  JSON.parse(
    `${JSON.stringify(body).slice(0, -1)},${JSON.stringify(extra)}:${JSON.stringify(value)}}`,
  ) as unknown;

describe.each(BODIES)('the body of POST /v1/%s', (_route, schema, valid, known) => {
  it('takes the valid body as it is', () => {
    expect(parseRequest(schema, valid).ok).toBe(true);
  });

  it('refuses any field it does not declare with a 400 naming it', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'Seed', 'COUNT', 'extra')),
        fc.jsonValue(),
        (field, value) => {
          fc.pre(!known.includes(field));
          const r = parseRequest(schema, asParsed(valid, field, value));
          expect(r.ok).toBe(false);
          if (r.ok) return;
          expect(r.refusal.status).toBe(400);
          expect(r.refusal.body.reasons).toContainEqual({
            code: 'SCHEMA_INVALID',
            path: field,
            message: expect.stringMatching(/^unknown field/),
          });
        },
      ),
      { seed: 3, numRuns: 300 },
    );
  });

  it('names the declared field an unknown one differs from only by case', () => {
    for (const field of known) {
      const wrong = field === field.toUpperCase() ? field.toLowerCase() : field.toUpperCase();
      const r = parseRequest(schema, asParsed(valid, wrong, 1));
      expect(r.ok || r.refusal.body.reasons).toContainEqual({
        code: 'SCHEMA_INVALID',
        path: wrong,
        message: `unknown field: did you mean "${field}"?`,
      });
    }
  });

  it('never refuses a declared field for being unknown, whatever its value', () => {
    fc.assert(
      fc.property(
        fc.subarray(known),
        fc.array(fc.jsonValue(), { minLength: 5, maxLength: 5 }),
        (fields, values) => {
          const body = { ...valid, ...Object.fromEntries(fields.map((f, i) => [f, values[i]])) };
          const r = parseRequest(schema, body);
          const reasons = r.ok ? [] : r.refusal.body.reasons;
          expect(reasons.filter((e) => e.message.startsWith('unknown field'))).toEqual([]);
        },
      ),
      { seed: 4, numRuns: 200 },
    );
  });
});
