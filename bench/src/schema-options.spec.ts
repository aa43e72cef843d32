import type { Client } from 'cassandra-driver';
import { UsersRepository, userWriteStatements } from '@sparkflow/persistence-core';
import {
  SCHEMA_OPTIONS,
  markdownTable,
  checkAnswers,
  sampleOf,
  spreadWrites,
  type OptionRun,
} from './schema-options';
import { roundOrders } from './option-series';

const option = (name: string) => {
  const found = SCHEMA_OPTIONS.find((o) => o.name === name);
  if (!found) throw new Error(`no option ${name}`);
  return found;
};

describe('schema options', () => {
  const now = new Date('2026-12-04T08:00:00.000Z');
  const writes = spreadWrites(200, 'schema-options-spec', 10, now);

  it("writes SparkFlow's own schema with the statements persistence sends for the same people", async () => {
    const sent: unknown[] = [];
    const client = { batch: async (queries: unknown[]) => void sent.push(...queries) } as unknown as Client;
    await new UsersRepository(client).upsertMany(writes.slice(0, 3));
    const ours = writes.slice(0, 3).flatMap((w) => option('sparkflow').statements(userWriteStatements(w), w));
    expect(ours).toEqual(sent);
  });

  it('writes a users_by_email row only for a person with an e-mail, at the users row write timestamp', () => {
    const w = writes[0];
    const s = userWriteStatements(w);
    const three = option('three-tables').statements(s, w);
    expect(
      three.map((x) =>
        x.query
          .match(/INSERT INTO (\w+)|UPDATE (\w+)/)
          ?.slice(1)
          .find(Boolean),
      ),
    ).toEqual(['users', 'users_by_email', 'users_by_country_day', 'users']);
    expect(three[1].params).toEqual([
      w.user.email,
      w.user.userId,
      w.user.fullName,
      ...s.users.params.slice(-2),
    ]);
    const noEmail = { ...w, user: { ...w.user, email: null } };
    expect(option('three-tables').statements(userWriteStatements(noEmail), noEmail)).toHaveLength(3);
  });

  it('the one-table options write no users_by_country_day row', () => {
    for (const name of ['one-table', 'one-table-sai']) {
      const w = writes[1];
      const queries = option(name)
        .statements(userWriteStatements(w), w)
        .map((x) => x.query);
      expect(queries.some((q) => q.includes('users_by_country_day'))).toBe(false);
      expect(queries).toHaveLength(2);
    }
  });

  it('spreads the people over the days before today, each enriched, and samples every (country, day) written', () => {
    const days = new Set(writes.map((w) => w.producedAt.slice(0, 10)));
    expect([...days].sort()).toEqual(
      Array.from({ length: 10 }, (_, i) =>
        new Date(Date.UTC(2026, 11, 4 - 10 + i)).toISOString().slice(0, 10),
      ),
    );
    expect(new Set(writes.map((w) => w.user.userId)).size).toBe(200);
    const sample = sampleOf(writes, 50);
    expect(sample.ids).toHaveLength(50);
    // The partitions persistence's own statements write, (country_code, event_day).
    const pairs = new Set(
      writes.map((w) => userWriteStatements(w).byCountryDay.params.slice(0, 2).map(String).join(' ')),
    );
    expect(new Set(sample.countryDays.map(([c, d]) => `${c} ${d.toString()}`))).toEqual(pairs);
  });

  it('orders each round so every option runs once in each position and after every other option once', () => {
    for (const n of [2, 3, 4, 5]) {
      const rounds = n % 2 === 0 ? n : 2 * n;
      const orders = roundOrders(n, rounds);
      for (const order of orders) expect([...order].sort()).toEqual(Array.from({ length: n }, (_, k) => k));
      for (let position = 0; position < n; position++) {
        const seen = orders.map((o) => o[position]);
        for (let k = 0; k < n; k++) expect(seen.filter((x) => x === k)).toHaveLength(rounds / n);
      }
      const follows = new Map<string, number>();
      for (const o of orders)
        for (let i = 1; i < n; i++)
          follows.set(`${o[i - 1]}>${o[i]}`, (follows.get(`${o[i - 1]}>${o[i]}`) ?? 0) + 1);
      expect(follows.size).toBe(n * (n - 1));
      expect(new Set(follows.values())).toEqual(new Set([rounds / n]));
    }
  });

  const oneTableRun = (): OptionRun => ({
    option: 'one-table',
    round: 1,
    records: 10,
    statementsPerUser: 2,
    writeMs: 5,
    usersPerSec: 2000,
    cassandraCpuMsPerUser: 0.2,
    cassandraCpuMsPerUserWithFlush: 0.25,
    writeTimeoutsRetried: 0,
    restBeforeWrites: { reached: true, cores: 0.02 },
    restBeforeLookUps: { reached: true, cores: 0.03 },
    byId: { calls: 5, rows: 5, rowsPerCall: 1, p50Ms: 0.8, p99Ms: 2.1 },
    byEmail: null,
    byCountryDay: null,
  });

  it('says which option cannot answer a look-up', () => {
    expect(markdownTable([oneTableRun()]).split('\n')[2]).toBe(
      '| one-table | 1 | 2 | 2,000 | 0.2 | 0.25 | 0.8 / 2.1 ms (1 rows) | cannot answer | cannot answer |',
    );
  });

  it('refuses a run whose look-ups did not find every person written', () => {
    const sample = { ids: ['a', 'b', 'c', 'd', 'e'], emails: [], countryDays: [] };
    expect(checkAnswers(oneTableRun(), sample)).toEqual(oneTableRun());
    const short = { ...oneTableRun(), byId: { ...oneTableRun().byId, rows: 4 } };
    expect(() => checkAnswers(short, sample)).toThrow('option one-table, round 1: found 4 of 5 people by id');
    const lostDay = {
      ...oneTableRun(),
      byCountryDay: { calls: 2, rows: 9, rowsPerCall: 5, p50Ms: 1, p99Ms: 2 },
    };
    expect(() => checkAnswers(lostDay, sample)).toThrow('found 9 of 10 people by country and day');
  });
});
