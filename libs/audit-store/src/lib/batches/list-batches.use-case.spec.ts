import { SparkflowException } from '@sparkflow/errors';
import { isBatchComplete, isBatchMarkable } from './batch-complete';
import { BATCH_SCAN_LIMIT, ListBatchesUseCase } from './list-batches.use-case';

const counts = (o: Partial<Parameters<typeof isBatchComplete>[0]> = {}) => ({
  expected: 3,
  ingested: 3,
  enriched: 3,
  deadLettered: 0,
  persisted: 3,
  ...o,
});

describe('a batch is complete', () => {
  it('when every declared event arrived and each is persisted or dead-lettered', () => {
    expect(isBatchComplete(counts())).toBe(true);
    expect(isBatchComplete(counts({ persisted: 2, deadLettered: 1 }))).toBe(true);
  });

  it('not while declared events are still to arrive, or arrived ones are unsettled', () => {
    expect(isBatchComplete(counts({ ingested: 2, persisted: 2 }))).toBe(false);
    expect(isBatchComplete(counts({ persisted: 2 }))).toBe(false);
  });

  it('by what arrived when the batch declared no size, and never when nothing arrived', () => {
    expect(isBatchComplete(counts({ expected: null }))).toBe(true);
    expect(isBatchComplete(counts({ expected: null, ingested: 0, enriched: 0, persisted: 0 }))).toBe(false);
  });
});

describe('a batch may be recorded complete for good', () => {
  it('only when complete, with a declared size, from a source that never reuses a batch id', () => {
    expect(isBatchMarkable({ source: 'http-push', ...counts() })).toBe(true);
    expect(isBatchMarkable({ source: 'synthetic', ...counts() })).toBe(true);
    expect(isBatchMarkable({ source: 'http-push', ...counts({ persisted: 2 }) })).toBe(false);
    expect(isBatchMarkable({ source: 'http-push', ...counts({ expected: null }) })).toBe(false);
    expect(isBatchMarkable({ source: 'randomuser-api', ...counts() })).toBe(false);
    expect(isBatchMarkable({ source: 'backfill', ...counts() })).toBe(false);
    expect(isBatchMarkable({ source: null, ...counts() })).toBe(false);
  });
});

/** A listed batch as the repository answers it: with the cursor of its place in the list. */
const placed = <B extends { batchId: string; createdAt: string }>(b: B) => ({
  ...b,
  cursor: { createdAtMicros: BigInt(Date.parse(b.createdAt)) * 1000n, batchId: b.batchId },
});

describe('listing batches', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  const rows = [
    {
      batchId: 'b3',
      source: 'synthetic',
      createdAt: '2026-11-30T11:59:00.000Z',
      ...counts({ persisted: 1 }),
    },
    { batchId: 'b2', source: 'synthetic', createdAt: '2026-11-30T11:58:00.000Z', ...counts() },
    {
      batchId: 'b1',
      source: 'http-push',
      createdAt: '2026-11-30T11:57:00.000Z',
      ...counts({ ingested: 1, persisted: 1 }),
    },
  ].map(placed);
  let asked: Date | undefined;
  let askedLimit: number | undefined;
  let askedUnmarkedOnly: boolean | undefined;
  const marked: string[][] = [];
  const useCase = new ListBatchesUseCase(
    {
      batchesSince: async (since: Date, limit: number, unmarkedOnly?: boolean) => {
        asked = since;
        askedLimit = limit;
        askedUnmarkedOnly = unmarkedOnly;
        return rows.slice(0, limit);
      },
      markComplete: async (ids: string[]) => {
        marked.push(ids);
        return ids.length;
      },
    },
    () => now,
  );

  it('looks back 24 hours by default and marks each batch complete or not', async () => {
    const list = await useCase.execute({});
    expect(asked?.toISOString()).toBe('2026-11-29T12:00:00.000Z');
    expect(list.batches.map((b) => [b.batchId, b.complete])).toEqual([
      ['b3', false],
      ['b2', true],
      ['b1', false],
    ]);
    expect(list).toMatchObject({
      since: '2026-11-29T12:00:00.000Z',
      incompleteOnly: false,
      truncated: false,
    });
  });

  it('counts only the newest limit and one more, unless it has to tell the incomplete ones', async () => {
    const list = await useCase.execute({ limit: '2' });
    expect(askedLimit).toBe(3);
    expect(list.batches.map((b) => b.batchId)).toEqual(['b3', 'b2']);
    expect(list.truncated).toBe(true);
    expect((await useCase.execute({ limit: '3' })).truncated).toBe(false);
    await useCase.execute({ limit: '2', incomplete: 'true' });
    expect(askedLimit).toBe(BATCH_SCAN_LIMIT);
  });

  it('keeps only the incomplete ones with incomplete=true, and says when the limit cut the list', async () => {
    const list = await useCase.execute({ incomplete: 'true', limit: '1', since: '2026-11-30T11:00:00Z' });
    expect(asked?.toISOString()).toBe('2026-11-30T11:00:00.000Z');
    expect(list.batches.map((b) => b.batchId)).toEqual(['b3']);
    expect(list.truncated).toBe(true);
  });

  it('with incomplete=true reads only unmarked batches and marks the complete ones that declared a size', async () => {
    marked.length = 0;
    await useCase.execute({ incomplete: 'true' });
    expect(askedUnmarkedOnly).toBe(true);
    expect(marked).toEqual([['b2']]);
  });

  it('marks nothing and reads every batch when listing them all', async () => {
    marked.length = 0;
    await useCase.execute({});
    expect(askedUnmarkedOnly).toBe(false);
    expect(marked).toEqual([]);
  });

  it('says truncated with incomplete=true only when the unmarked batches filled the scan', async () => {
    const many = Array.from({ length: BATCH_SCAN_LIMIT }, (_, i) =>
      placed({
        batchId: `c${i}`,
        source: 'http-push',
        createdAt: '2026-11-30T11:00:00.000Z',
        ...counts(),
      }),
    );
    const full = new ListBatchesUseCase(
      { batchesSince: async () => many, markComplete: async (ids: string[]) => ids.length },
      () => now,
    );
    expect(await full.execute({ incomplete: 'true' })).toMatchObject({ batches: [], truncated: true });
    const short = new ListBatchesUseCase(
      { batchesSince: async () => many.slice(1), markComplete: async (ids: string[]) => ids.length },
      () => now,
    );
    expect(await short.execute({ incomplete: 'true' })).toMatchObject({ batches: [], truncated: false });
  });

  it('refuses a bad parameter by name', async () => {
    await expect(useCase.execute({ since: 'yesterday' })).rejects.toThrow(SparkflowException);
    await expect(useCase.execute({ limit: '0' })).rejects.toThrow(/limit/);
    await expect(useCase.execute({ incomplete: 'yes' })).rejects.toThrow(/incomplete/);
  });

  it('refuses a value in another shape than the one it reads, never falling back to a default', async () => {
    asked = undefined;
    await expect(useCase.execute({ 'since[a]': '1' })).rejects.toThrow(/^bad query: since: /);
    await expect(useCase.execute({ since: ['2026-11-30T11:00:00Z'] })).rejects.toThrow(/^bad query: since: /);
    await expect(useCase.execute({ limit: '1e3' })).rejects.toThrow(/^bad query: limit: /);
    await expect(useCase.execute({ limit: '2.0' })).rejects.toThrow(/^bad query: limit: /);
    await expect(useCase.execute({ until: '2026-11-30T11:00:00Z' })).rejects.toThrow(/^bad query: until: /);
    expect(asked).toBeUndefined();
  });
});
