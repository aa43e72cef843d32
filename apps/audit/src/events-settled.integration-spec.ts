import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { AuditRow } from '@sparkflow/audit-store';
import { CONSUMER_GROUPS, TOPICS, kafkaPrincipal, type SettledReport } from '@sparkflow/contracts';
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
const kafka = new Kafka({ clientId: 'events-settled-it', ...kafkaConnection(s), logLevel: logLevel.NOTHING });
const scratch = scratchKafka(kafka);

/**
 * `GET /v1/events/settled` of the whole AuditModule over real HTTP, on a PostgreSQL database of its own
 * (every audit migration applied) and the stack's Kafka. The module's consumer is not started (the service's
 * bootstrap starts it): the audit rows are written as its consumer writes them, and where its group stands on
 * users.raw is set through the broker.
 */
describe('the settled check of the audit API', () => {
  const scratchAudit = new ScratchAudit('audit_settled', s);
  beforeAll(() => scratchAudit.open());
  afterAll(() => scratchAudit.close());
  const audit = (kafkaUser: { user: string; password: string }, groupId: string) =>
    scratchAudit.listen(kafkaUser, groupId);

  const settled = async (base: string, from: Date, to: Date) => {
    const query = `from=${from.toISOString()}&to=${to.toISOString()}`;
    const res = await fetch(`${base}/v1/events/settled?${query}`, { headers: auditHeaders(s) });
    return { status: res.status, body: (await res.json()) as SettledReport };
  };

  const row = (eventId: string, topic: string, producedAt: Date): AuditRow => ({
    eventId,
    topic,
    outcome:
      topic === TOPICS.usersRaw ? 'ingested' : topic === TOPICS.usersDlq ? 'dead-lettered' : 'persisted',
    userId: randomUUID(),
    batchId: 'settled-it',
    source: 'http-push',
    partition: 0,
    offset: '1',
    producedAt,
    appendedAt: producedAt,
    reasons: null,
  });

  it("answers with the audit's own principal and consumer group, which may read the group's offsets", async () => {
    const base = await audit(
      { user: kafkaPrincipal('audit').user, password: kafkaPrincipalPasswords()['KAFKA_AUDIT_PASSWORD'] },
      CONSUMER_GROUPS.audit,
    );
    // No record is older than 1970: nothing of users.raw is before this window's end, whatever the group read.
    const answer = await settled(base, new Date(0), new Date(1000));
    expect(answer).toEqual({
      status: 200,
      body: expect.objectContaining({ settled: true, pending: 0, rawBehind: 0, oldestPending: null }),
    });
  });

  it('is not settled while an event of the window is pending, and is once its ack is recorded', async () => {
    const group = scratch.group('audit-settled');
    // The window ended a second ago; the group stands where users.raw ends now, past every record before it.
    const to = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
    const from = new Date(to.getTime() - 86_400_000);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(TOPICS.usersRaw);
      await admin.setOffsets({
        groupId: group,
        topic: TOPICS.usersRaw,
        partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
      });
    } finally {
      await admin.disconnect();
    }
    const base = await audit({ user: s.KAFKA_USERNAME, password: s.KAFKA_ADMIN_PASSWORD }, group);

    const [pending, persistedLater, deadLettered, before, atTheEnd] = [1, 2, 3, 4, 5].map(() => randomUUID());
    const inWindow = new Date(to.getTime() - 60_000);
    await scratchAudit.repo.record(
      [
        row(pending, TOPICS.usersRaw, new Date(to.getTime() - 1)),
        row(persistedLater, TOPICS.usersRaw, inWindow),
        row(deadLettered, TOPICS.usersRaw, new Date(from.getTime())),
        row(deadLettered, TOPICS.usersDlq, new Date(from.getTime() + 5)),
        // Outside the window, at either end: never counted, though neither is settled.
        row(before, TOPICS.usersRaw, new Date(from.getTime() - 1)),
        row(atTheEnd, TOPICS.usersRaw, to),
      ],
      [],
    );

    expect(await settled(base, from, to)).toEqual({
      status: 200,
      body: {
        from: from.toISOString(),
        to: to.toISOString(),
        settled: false,
        pending: 2,
        oldestPending: { eventId: persistedLater, batchId: 'settled-it', producedAt: inWindow.toISOString() },
        rawBehind: 0,
        checkedAt: expect.any(String),
      },
    });

    await scratchAudit.repo.record([row(persistedLater, TOPICS.usersPersisted, new Date())], []);
    expect((await settled(base, from, to)).body).toMatchObject({
      settled: false,
      pending: 1,
      oldestPending: { eventId: pending },
    });

    await scratchAudit.repo.record([row(pending, TOPICS.usersPersisted, new Date())], []);
    expect((await settled(base, from, to)).body).toMatchObject({
      settled: true,
      pending: 0,
      oldestPending: null,
      rawBehind: 0,
    });
  });

  it("is not settled while the audit's group has users.raw records from before the window's end to read", async () => {
    const group = scratch.group('audit-settled-behind');
    const admin = kafka.admin();
    await admin.connect();
    try {
      // One record short of the end on the partition that has any: the group has that one still to read.
      const ends = await admin.fetchTopicOffsets(TOPICS.usersRaw);
      const held = ends.find((e) => BigInt(e.high) > BigInt(e.low));
      if (!held) throw new Error('users.raw holds no record: run the stack (any person pushed) first');
      await admin.setOffsets({
        groupId: group,
        topic: TOPICS.usersRaw,
        partitions: ends.map((e) => ({
          partition: e.partition,
          offset: e === held ? String(BigInt(e.high) - 1n) : e.high,
        })),
      });
    } finally {
      await admin.disconnect();
    }
    const base = await audit({ user: s.KAFKA_USERNAME, password: s.KAFKA_ADMIN_PASSWORD }, group);
    // The window ends now, after that record was appended (the broker's clock is this host's), and has ended
    // when the audit answers. Records appended since the offsets were read only add to what is behind.
    const to = new Date();
    // A millisecond long: no audit row of the other tests is in it, so only the group can hold it back.
    const { body } = await settled(base, new Date(to.getTime() - 1), to);
    expect(body).toMatchObject({ settled: false, pending: 0 });
    expect(body.rawBehind).toBeGreaterThanOrEqual(1);
  });
});
