import type { QueryRunner } from 'typeorm';
import { ANALYTICS_MIGRATIONS, ANALYTICS_SCHEMA } from './analytics-migrations';

/** The SQL a migration's up() and down() send, in order. */
async function statementsOf(migration: {
  up(q: QueryRunner): Promise<void>;
  down(q: QueryRunner): Promise<void>;
}) {
  const sent: string[] = [];
  const q = {
    query: async (sql: string) => void sent.push(sql.replace(/\s+/g, ' ').trim()),
  } as unknown as QueryRunner;
  await migration.up(q);
  const up = [...sent];
  sent.length = 0;
  await migration.down(q);
  return { up, down: [...sent] };
}

describe('ANALYTICS_MIGRATIONS', () => {
  it.each(ANALYTICS_MIGRATIONS.map((M) => [M.name, M] as const))(
    '%s touches only the analytics schema, and down() undoes each table up() creates',
    async (_name, M) => {
      const { up, down } = await statementsOf(new M());
      for (const sql of [...up, ...down]) {
        const objects = [...sql.matchAll(/(?:TABLE|SCHEMA)(?: IF (?:NOT )?EXISTS)? ([\w.]+)/g)].map(
          (m) => m[1],
        );
        expect({ sql, objects }).toEqual({
          sql,
          objects: objects.map((o) =>
            o === ANALYTICS_SCHEMA || o.startsWith(`${ANALYTICS_SCHEMA}.`) ? o : 'outside analytics',
          ),
        });
      }
      const created = up.flatMap((sql) => [...sql.matchAll(/CREATE TABLE ([\w.]+)/g)].map((m) => m[1]));
      const dropped = down.flatMap((sql) => [...sql.matchAll(/DROP TABLE ([\w.]+)/g)].map((m) => m[1]));
      expect(created.length).toBeGreaterThan(0);
      expect([...dropped].sort()).toEqual([...created].sort());
    },
  );
});
