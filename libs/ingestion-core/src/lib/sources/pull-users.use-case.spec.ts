import fc from 'fast-check';
import { pullBatchId, pullRequest } from './pull-users.use-case';

const SEED = Number(process.env['SPARKFLOW_PROPERTY_SEED'] ?? 20261202);

describe('a pull request and its batch id', () => {
  const parse = (body: unknown) => pullRequest(1000).safeParse(body);

  it('takes nationalities as two letters in either case, upper-cased, and names a bad one by its place', () => {
    expect(parse({ count: 10, seed: 'demo', nat: ['gb', 'Us'] })).toMatchObject({
      success: true,
      data: { nat: ['GB', 'US'] },
    });
    for (const bad of ['G', 'GBR', 'G1', '\u0000G', 'é1', '\ud800x']) {
      const parsed = parse({ count: 10, seed: 'demo', nat: ['US', bad] });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0].path).toEqual(['nat', 1]);
    }
  });

  /** Reads a batch id back, from the right, as the id's comment says it decodes. */
  const decode = (id: string) => {
    const [, head, nat] = /^(.*?)(?:-nat-([A-Z]{2}(?:,[A-Z]{2})*))?$/s.exec(id) ?? [];
    const [, prefixed, count] = /^(.*)-n(\d+)$/s.exec(head ?? '') ?? [];
    return {
      seed: prefixed?.replace(/^randomuser-/, ''),
      count: Number(count),
      nat: nat ? nat.split(',') : [],
    };
  };

  it('gives each pull a batch id that reads back as its seed, count and nationalities, whatever the seed holds', () => {
    const pull = fc.record({
      // Seeds built of the separators' own characters, where a collision would be found.
      seed: fc.string({
        minLength: 1,
        maxLength: 16,
        unit: fc.constantFrom('a', '-', 'n', 'a', 't', '1', ',', 'G', 'B'),
      }),
      count: fc.integer({ min: 1, max: 200_000 }),
      nat: fc.array(fc.constantFrom('GB', 'US', 'NL'), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(pull, (p) => {
        expect(decode(pullBatchId(p.seed, p.count, p.nat))).toEqual(p);
      }),
      { seed: SEED, numRuns: 5000 },
    );
    expect(pullBatchId('demo', 100)).toBe('randomuser-demo-n100');
    expect(pullBatchId('demo', 100, [])).toBe('randomuser-demo-n100');
    expect(pullBatchId('demo', 100, ['GB', 'US'])).toBe('randomuser-demo-n100-nat-GB,US');
  });
});
