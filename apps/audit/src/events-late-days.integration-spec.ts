import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { AuditRow } from '@sparkflow/audit-store';
import { CONSUMER_GROUPS, TOPICS, kafkaPrincipal, type LateDaysReport } from '@sparkflow/contracts';
import {
  auditHeaders,
  integrationSettings,
  kafkaConnection,
  kafkaPrincipalPasswords,
  scratchKafka,
} from '@sparkflow/testing';
import { ScratchAudit } from './testing/scratch-audit';

// Read before the module loads: its ConfigModule writes its defaults into the environment.
const s = integrationSettings();
const kafka = new Kafka({
  clientId: 'events-late-days-it',
  ...kafkaConnection(s),
  logLevel: logLevel.NOTHING,
});
const scratch = scratchKafka(kafka);
const TERMINAL_TOPICS = [TOPICS.usersPersisted, TOPICS.usersDlq];

/**
 * `GET /v1/events/late-days` of the whole AuditModule over real HTTP, on a PostgreSQL database of its own
 * (every audit migration applied) and the stack's Kafka. The module's consumer is not started: the audit rows
 * are written as its consumer writes them, and where its group stands on users.persisted and users.dlq is set
 * through the broker.
 */
describe('the late-days check of the audit API', () => {
  const scratchAudit = new ScratchAudit('audit_late_days', s);
  beforeAll(() => scratchAudit.open());
  afterAll(() => scratchAudit.close());
  const audit = (kafkaUser: { user: string; password: string }, groupId: string) =>
    scratchAudit.listen(kafkaUser, groupId);
  const asAdmin = { user: s.KAFKA_USERNAME, password: s.KAFKA_ADMIN_PASSWORD };

  const lateDays = async (base: string, query: string) => {
    const res = await fetch(`${base}/v1/events/late-days?${query}`, { headers: auditHeaders(s) });
    return {
      status: res.status,
      body: (await res.json()) as LateDaysReport & { reasons?: { path: string }[] },
    };
  };
  const interval = (from: Date, to: Date) => `from=${from.toISOString()}&to=${to.toISOString()}`;

  /**
   * `groupId`'s committed offsets on both terminal topics: on every partition the first offset appended at or
   * after `toMs`, except `short` partitions of `topic`, one record before it. Answers how many were left short.
   */
  async function commitUpTo(groupId: string, toMs: number, short?: { topic: string }): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    let leftShort = 0;
    try {
      for (const topic of TERMINAL_TOPICS) {
        const ends = await admin.fetchTopicOffsets(topic);
        const before = await admin.fetchTopicOffsetsByTimestamp(topic, toMs);
        const partitions = ends.map((end) => {
          const at = before.find((p) => p.partition === end.partition)?.offset ?? end.high;
          const offset = at === '-1' ? end.high : at;
          const behindOne = short?.topic === topic && leftShort === 0 && BigInt(offset) > BigInt(end.low);
          if (behindOne) leftShort += 1;
          return { partition: end.partition, offset: behindOne ? String(BigInt(offset) - 1n) : offset };
        });
        await admin.setOffsets({ groupId, topic, partitions });
      }
    } finally {
      await admin.disconnect();
    }
    if (short && !leftShort)
      throw new Error(`${short.topic} holds no record before now: run the stack (any person pushed) first`);
    return leftShort;
  }

  /** An audit row as the consumer writes it: `producedAt` is the stamp of the record's own producer. */
  const row = (
    eventId: string,
    topic: string,
    producedAt: Date | null,
    appendedAt: Date | null,
  ): AuditRow => ({
    eventId,
    topic,
    outcome: {
      [TOPICS.usersRaw]: 'ingested' as const,
      [TOPICS.usersEnriched]: 'enriched' as const,
      [TOPICS.usersDlq]: 'dead-lettered' as const,
      [TOPICS.usersPersisted]: 'persisted' as const,
    }[topic] as AuditRow['outcome'],
    userId: randomUUID(),
    batchId: 'late-days-it',
    source: 'backfill',
    partition: 0,
    offset: '1',
    producedAt,
    appendedAt,
    reasons: null,
  });

  it("answers with the audit's own principal and consumer group, which may read the group's offsets on both topics", async () => {
    const base = await audit(
      { user: kafkaPrincipal('audit').user, password: kafkaPrincipalPasswords()['KAFKA_AUDIT_PASSWORD'] },
      CONSUMER_GROUPS.audit,
    );
    // No record is older than 1970: nothing of either topic is before this interval's end.
    expect(await lateDays(base, interval(new Date(0), new Date(1000)))).toEqual({
      status: 200,
      body: {
        from: '1970-01-01T00:00:00.000Z',
        to: '1970-01-01T00:00:01.000Z',
        complete: true,
        behind: 0,
        days: [],
        checkedAt: expect.any(String),
      },
    });
  });

  it('lists the days, by the UTC day of their event time, of the terminal rows appended in [from, to)', async () => {
    const group = scratch.group('audit-late-days');
    const from = new Date('2026-12-01T10:00:00.000Z');
    const to = new Date('2026-12-01T11:00:00.000Z');
    await commitUpTo(group, to.getTime());
    const base = await audit(asAdmin, group);
    const at = (ms: number) => new Date(from.getTime() + ms);
    const lastOfNov29 = new Date('2026-11-29T23:59:59.999Z');
    const firstOfNov30 = new Date('2026-11-30T00:00:00.000Z');
    const [atTheStart, deadLettered, persisted, before, atTheEnd, noAppendTime, noEventTime, corrected, raw] =
      Array.from({ length: 9 }, () => randomUUID());
    const toEnd = to.getTime() - from.getTime();
    await scratchAudit.repo.record(
      [
        // Persisted at the interval's first millisecond, an event of the last one of 29 November: the ack
        // itself is stamped when persistence wrote it, on 1 December.
        row(atTheStart, TOPICS.usersRaw, lastOfNov29, new Date('2026-11-29T23:59:59.999Z')),
        row(atTheStart, TOPICS.usersEnriched, lastOfNov29, new Date('2026-12-01T09:59:00.000Z')),
        row(atTheStart, TOPICS.usersPersisted, at(1), at(0)),
        // A dead letter (enrichment refused the raw record: no enriched row) of the first millisecond of 30
        // November, appended at the interval's last millisecond, and a persisted event of the same day.
        row(deadLettered, TOPICS.usersRaw, firstOfNov30, at(-3_600_000)),
        row(deadLettered, TOPICS.usersDlq, at(toEnd - 2), at(toEnd - 1)),
        row(persisted, TOPICS.usersRaw, new Date('2026-11-30T12:00:00.000Z'), at(-60_000)),
        row(persisted, TOPICS.usersEnriched, new Date('2026-11-30T12:00:00.000Z'), at(-30_000)),
        row(persisted, TOPICS.usersPersisted, at(1_800_001), at(1_800_000)),
        // Appended a millisecond before `from`, and at `to`: outside the interval.
        row(before, TOPICS.usersRaw, firstOfNov30, at(-10_000)),
        row(before, TOPICS.usersPersisted, at(-1), at(-1)),
        row(atTheEnd, TOPICS.usersRaw, firstOfNov30, at(-10_000)),
        row(atTheEnd, TOPICS.usersDlq, at(toEnd), at(toEnd)),
        // Recorded before the audit kept broker times, and an ack of an event the audit has no time for.
        row(noAppendTime, TOPICS.usersRaw, firstOfNov30, null),
        row(noAppendTime, TOPICS.usersPersisted, at(5), null),
        row(noEventTime, TOPICS.usersPersisted, at(6), at(5)),
        // A correction replayed onto users.enriched is a version of 1 December: Cassandra has it on that day.
        row(corrected, TOPICS.usersRaw, new Date('2026-11-28T08:00:00.000Z'), at(-86_400_000)),
        row(corrected, TOPICS.usersEnriched, new Date('2026-12-01T09:00:00.000Z'), at(-3_600_000)),
        row(corrected, TOPICS.usersPersisted, at(121), at(120)),
        // An arrival on users.raw in the interval is not terminal.
        row(raw, TOPICS.usersRaw, firstOfNov30, at(7)),
      ],
      [],
    );

    expect(await lateDays(base, interval(from, to))).toEqual({
      status: 200,
      body: {
        from: from.toISOString(),
        to: to.toISOString(),
        complete: true,
        behind: 0,
        days: [
          { day: '2026-11-29', events: 1, lastAppendedAt: '2026-12-01T10:00:00.000Z' },
          { day: '2026-11-30', events: 2, lastAppendedAt: '2026-12-01T10:59:59.999Z' },
          { day: '2026-12-01', events: 1, lastAppendedAt: '2026-12-01T10:00:00.120Z' },
        ],
        checkedAt: expect.any(String),
      },
    });
    // One millisecond wider at either end takes in the row appended there.
    const wider = await lateDays(base, interval(at(-1), at(toEnd + 1)));
    expect(wider.body.days.map((d) => [d.day, d.events])).toEqual([
      ['2026-11-29', 1],
      ['2026-11-30', 4],
      ['2026-12-01', 1],
    ]);
  });

  it.each(TERMINAL_TOPICS)(
    "is not complete while the audit's group has a %s record from before `to` to read, and is once it has",
    async (topic) => {
      const group = scratch.group('audit-late-days-behind');
      // A second ago: the records appended before it are all on the broker already.
      const to = new Date(Date.now() - 1000);
      expect(await commitUpTo(group, to.getTime(), { topic })).toBe(1);
      const base = await audit(asAdmin, group);
      // A millisecond long: no audit row is in it, so only the group can hold it back.
      const query = interval(new Date(to.getTime() - 1), to);
      expect((await lateDays(base, query)).body).toMatchObject({ complete: false, behind: 1, days: [] });
      await commitUpTo(group, to.getTime());
      expect((await lateDays(base, query)).body).toMatchObject({ complete: true, behind: 0, days: [] });
    },
  );

  it('answers a bad parameter with 400 naming it', async () => {
    const base = await audit(asAdmin, scratch.group('audit-late-days-400'));
    const cases: [string, string[]][] = [
      ['', ['from', 'to']],
      ['from=2026-12-01T10:00:00Z&to=2026-12-01T10:00:00Z', ['to']],
      ['from=2026-12-01T10:00:00&to=2026-12-01T11:00:00Z', ['from']],
      ['from=2026-12-01T10:00:00Z&to=2026-12-01T11:00:00Z&day=2026-11-30', ['day']],
    ];
    for (const [query, paths] of cases) {
      const { status, body } = await lateDays(base, query);
      expect([query, status, body.reasons?.map((r) => r.path)]).toEqual([query, 400, paths]);
    }
  });
});
