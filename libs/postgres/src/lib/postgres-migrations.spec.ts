import { ANALYTICS_MIGRATIONS } from '@sparkflow/analytics-store';
import { AUDIT_MIGRATIONS } from '@sparkflow/audit-store';
import { BACKFILL_MIGRATIONS } from '@sparkflow/backfill-store';
import { IDEMPOTENCY_MIGRATIONS } from '@sparkflow/idempotency-store';
import { RATE_LIMIT_MIGRATIONS } from '@sparkflow/rate-limit-store';
import { POSTGRES_MIGRATIONS } from './postgres-migrations';

const names = (ms: readonly { name: string }[]) => ms.map((m) => m.name);

describe('POSTGRES_MIGRATIONS', () => {
  it('holds every migration of the audit store, the analytics schema, the backfills, the rate limit and the Idempotency-Keys, once', () => {
    expect([...names(POSTGRES_MIGRATIONS)].sort()).toEqual(
      [
        ...names(AUDIT_MIGRATIONS),
        ...names(ANALYTICS_MIGRATIONS),
        ...names(BACKFILL_MIGRATIONS),
        ...names(RATE_LIMIT_MIGRATIONS),
        ...names(IDEMPOTENCY_MIGRATIONS),
      ].sort(),
    );
  });

  it('runs them in the order of the timestamp TypeORM reads from each class name', () => {
    const stamps = POSTGRES_MIGRATIONS.map((m) => {
      const stamp = /(\d{13})$/.exec(m.name)?.[1];
      expect({ migration: m.name, stamp }).toEqual({ migration: m.name, stamp: expect.any(String) });
      return Number(stamp);
    });
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
  });

  it('names each migration class as its instance names itself, as TypeORM records it', () => {
    for (const M of POSTGRES_MIGRATIONS) expect(new M().name).toBe(M.name);
  });
});
