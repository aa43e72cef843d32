import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import {
  HEADERS,
  SCHEMA_VERSION,
  TOPICS,
  TOPIC_SPECS,
  devKafkaPassword,
  kafkaPrincipal,
} from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import {
  auditHeaders,
  cassandraConnection,
  integrationSettings,
  kafkaConnection,
  uniqueName,
} from '@sparkflow/testing';
import { closedPort, eventually, runCli, runCliJson } from './cli-runner';

/**
 * The real `sparkflow` command, as a child process with real argv and exit codes, against the real stack
 * (`npm run stack -- up`; the same KAFKA_PORT/… overrides the stack was started with).
 */
const settings = integrationSettings();
const kafka = new Kafka({
  clientId: 'cli-it',
  ...kafkaConnection(settings),
  logLevel: logLevel.NOTHING,
});

const sparkflow = runCli;
const json = runCliJson;

interface TopicDetail {
  messages: number;
  partitionDetails: { partition: number; low: string; high: string; messages: number }[];
  groups: {
    groupId: string;
    lag: number;
    lagSeconds: number;
    stalled: boolean;
    partitions: {
      partition: number;
      committed: string | null;
      high: string;
      lag: number;
      lagSeconds: number;
      stalled: boolean;
    }[];
  }[];
}
interface Shown {
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  value: { kind: string; envelope?: Record<string, unknown>; payload?: unknown; json?: unknown };
}

describe('sparkflow topics on a test topic', () => {
  const topic = uniqueName('cli-it-topic');
  const groupId = uniqueName('cli-it-group');
  // Recent timestamps: records older than the topic's retention (1 day) are deleted by the broker.
  const base = Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000;
  // Partition 0: 7 records one second apart; partition 1: 3 records two seconds apart. N = 10.
  const p0 = Array.from({ length: 7 }, (_, i) => ({ partition: 0, key: `k-p0-${i}`, ts: base + i * 1000 }));
  const p1 = Array.from({ length: 3 }, (_, i) => ({ partition: 1, key: `k-p1-${i}`, ts: base + i * 2000 }));
  // The group reads M = 4: three of partition 0, one of partition 1.
  const consumed = new Map([
    [0, 3],
    [1, 1],
  ]);

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [...p0, ...p1].map((r) => ({
        partition: r.partition,
        key: r.key,
        timestamp: String(r.ts),
        value: JSON.stringify({
          eventId: randomUUID(),
          batchId: 'cli-it',
          payload: { key: r.key, note: r.key === 'k-p0-5' ? 'needle' : 'hay' },
        }),
        headers: { [HEADERS.source]: 'synthetic' },
      })),
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const committed = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('test consumer did not commit')), 60_000);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const n = consumed.get(batch.partition) ?? 0;
          if (committed.has(batch.partition) || batch.messages.length < n) return;
          await consumer.commitOffsets([{ topic, partition: batch.partition, offset: String(n) }]);
          committed.add(batch.partition);
          if (committed.size === consumed.size) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('lists the pipeline topics with their declared partitions and retention, and counts messages', async () => {
    const rows = await json<{ topic: string; partitions: number; messages: number; retentionMs: number }[]>([
      'topics',
      'list',
    ]);
    for (const spec of TOPIC_SPECS) {
      expect(rows.find((r) => r.topic === spec.name)).toMatchObject({
        partitions: spec.partitions,
        retentionMs: spec.retentionMs,
      });
    }
    expect(rows.find((r) => r.topic === topic)).toMatchObject({ partitions: 2, messages: 10 });
  });

  it('runs the benchmark harness with its own options, and exits 2 naming a bad one', async () => {
    const help = await sparkflow(['bench', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--quick');
    const bad = await sparkflow(['bench', '--records', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--records must be a positive integer, got 0');
  });

  it('prints an aligned table without colour when piped', async () => {
    const r = await sparkflow(['topics', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^TOPIC\s+PARTITIONS\s+MESSAGES\s+RETENTION/);
    expect(r.stdout).toMatch(new RegExp(`${topic}\\s+2\\s+10\\s`));
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('describes lag in messages, and in seconds as the age of the oldest unread record, not the newest', async () => {
    const before = Date.now();
    const d = await json<TopicDetail>(['topics', 'describe', topic]);
    const after = Date.now();
    expect(d.partitionDetails.map((p) => [p.partition, p.low, p.high])).toEqual([
      [0, '0', '7'],
      [1, '0', '3'],
    ]);
    const g = d.groups.find((x) => x.groupId === groupId)!;
    expect(g.lag).toBe(10 - 4);
    expect(g.partitions.map((p) => [p.partition, p.committed, p.high, p.lag])).toEqual([
      [0, '3', '7', 4],
      [1, '1', '3', 2],
    ]);
    // The oldest unread records are p0[3] and p1[1]; their age is now minus their timestamps.
    const oldest = [p0[3], p1[1]];
    g.partitions.forEach((p, i) => {
      expect(p.lagSeconds).toBeGreaterThanOrEqual((before - oldest[i].ts) / 1000);
      expect(p.lagSeconds).toBeLessThanOrEqual((after - oldest[i].ts) / 1000);
    });
    expect(g.lagSeconds).toBe(Math.max(...g.partitions.map((p) => p.lagSeconds)));
  });

  it('reports a frozen consumer as STALLED once its committed offset stood still for --stall-after, and fails with --fail-on-stall', async () => {
    const frozenGroup = uniqueName('cli-it-frozen');
    const consumer = kafka.consumer({ groupId: frozenGroup, maxWaitTimeInMs: 100 });
    let thaw!: () => void;
    const thawed = new Promise<void>((resolve) => (thaw = resolve));
    let frozeAt = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    try {
      // Reads one record of partition 0, commits it, then hangs in its handler with the rest waiting.
      await new Promise<void>((resolve) => {
        void consumer.run({
          autoCommit: false,
          partitionsConsumedConcurrently: 2,
          eachBatch: async ({ batch }) => {
            if (batch.partition !== 0) return thawed;
            await consumer.commitOffsets([{ topic, partition: 0, offset: '1' }]);
            frozeAt = Date.now();
            resolve();
            return thawed;
          },
        });
      });
      const first = await eventually('the frozen group in describe', async () => {
        const d = await json<TopicDetail>(['topics', 'describe', topic, '--stall-after', '3']);
        return d.groups.find((x) => x.groupId === frozenGroup);
      });
      const stalled = await eventually('the frozen group reported stalled', async () => {
        const d = await json<TopicDetail>(['topics', 'describe', topic, '--stall-after', '3']);
        const g = d.groups.find((x) => x.groupId === frozenGroup);
        return g?.partitions[0].stalled ? g : null;
      });
      expect(Date.now() - frozeAt).toBeGreaterThanOrEqual(3000);
      expect(stalled.partitions[0]).toMatchObject({ committed: '1', lag: 6, stalled: true });
      // The age of the oldest unread record keeps growing while the consumer stays frozen.
      expect(stalled.partitions[0].lagSeconds).toBeGreaterThan(first.partitions[0].lagSeconds);

      const text = await sparkflow(['topics', 'describe', topic, '--stall-after', '3']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`${frozenGroup}\\s.*\\s0\\s+1\\s+7\\s+6\\s+[\\d.]+\\s+STALLED`));
      const failing = await sparkflow(['topics', 'describe', topic, '--stall-after', '3', '--fail-on-stall']);
      expect(failing.code).toBe(1);
      expect(failing.stderr).toContain(`${frozenGroup} (partitions 0`);
      // The test group from beforeAll is stalled too (records wait, its offsets never moved), but it has no
      // members left and is no stage's: shown, judged only when named.
      expect(failing.stderr).not.toContain(groupId);
      expect(text.stdout).toContain(`${groupId}: `);
      const named = await sparkflow([
        'topics',
        'describe',
        topic,
        '--stall-after',
        '3',
        '--fail-on-stall',
        '--group',
        groupId,
      ]);
      expect(named.code).toBe(1);
      expect(named.stderr).toContain(`${groupId} (partitions`);
      expect(named.stdout).not.toContain(frozenGroup);
      const unknown = await sparkflow(['topics', 'describe', topic, '--group', 'no-such-group']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no committed offsets on');
    } finally {
      thaw();
      await consumer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([frozenGroup]).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('tails from the beginning in time order, with key, headers and the envelope split from the payload', async () => {
    const rows = await json<Shown[]>(['topics', 'tail', topic, '--from-beginning', '--limit', '3']);
    expect(rows.map((r) => `${r.partition}@${r.offset}`)).toEqual(['0@0', '1@0', '0@1']);
    expect(rows[0]).toMatchObject({
      key: 'k-p0-0',
      headers: { [HEADERS.source]: 'synthetic' },
      value: { kind: 'envelope', payload: { key: 'k-p0-0' } },
    });
  });

  it('tails the newest records by default, one partition from an offset, by key and by text', async () => {
    const newest = await json<Shown[]>(['topics', 'tail', topic, '--limit', '2']);
    expect(newest.map((r) => r.key)).toEqual(['k-p0-5', 'k-p0-6']);
    const at = await json<Shown[]>(['topics', 'tail', topic, '--offset', '1:2']);
    expect(at.map((r) => r.key)).toEqual(['k-p1-2']);
    const byKey = await json<Shown[]>(['topics', 'tail', topic, '--key', 'k-p1-1']);
    expect(byKey.map((r) => `${r.partition}@${r.offset}`)).toEqual(['1@1']);
    const byText = await json<Shown[]>(['topics', 'tail', topic, '--from-beginning', '--grep', 'needle']);
    expect(byText.map((r) => r.key)).toEqual(['k-p0-5']);
    const followed = await sparkflow([
      'topics',
      'tail',
      topic,
      '--from-beginning',
      '--follow',
      '--limit',
      '4',
      '--json',
    ]);
    expect(followed.code).toBe(0);
    expect(followed.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('prints records readably when piped', async () => {
    const r = await sparkflow(['topics', 'tail', topic, '--offset', '0:5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${topic}[0]@5`);
    expect(r.stdout).toMatch(/envelope\.batchId\s+cli-it/);
    expect(r.stdout).toMatch(/header sparkflow-source\s+synthetic/);
    expect(r.stdout).toContain('"note": "needle"');
  });

  it('exits 1 naming a topic Kafka does not have, 2 for a name no topic can have', async () => {
    const r = await sparkflow(['topics', 'describe', 'no.such.topic']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no topic "no.such.topic"');
    const bad = await sparkflow(['topics', 'describe', 'users/raw']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('<topic> "users/raw": not a topic name');
  });

  it('exits 2 naming --event for a value that is not a dead letter id, before reading users.dlq', async () => {
    const r = await sparkflow(['dlq', 'replay', '--event', 'not-a-uuid']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--event "not-a-uuid"');
  });
});

describe('sparkflow stack', () => {
  it('passes status through to the native stack command, JSON and exit code included', async () => {
    const r = await sparkflow(['stack', 'status', 'kafka', '--json']);
    const rows = JSON.parse(r.stdout) as { component: string; state: string }[];
    expect(rows).toEqual([expect.objectContaining({ component: 'kafka', state: 'healthy' })]);
    expect(r.code).toBe(0);
  });
});

describe('sparkflow when parts of the stack are down', () => {
  it('names KAFKA_USERNAME and KAFKA_PASSWORD when Kafka refuses its login', async () => {
    const r = await sparkflow(['topics', 'list'], { KAFKA_PASSWORD: 'not-the-password' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused the login of sparkflow-cli/);
    expect(r.stderr).toMatch(/KAFKA_USERNAME and KAFKA_PASSWORD/);
  });

  it('names Kafka, its address, and how to start it; exit 1', async () => {
    const r = await sparkflow(['topics', 'list'], { KAFKA_PORT: '1', KAFKA_BROKERS: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Kafka is not reachable at 127.0.0.1:1');
    expect(r.stderr).toContain('npx sparkflow stack up');
  });

  it('names the ingestion API when it does not answer', async () => {
    const port = await closedPort();
    const r = await sparkflow(['backfill', '--from', '2026-11-01', '--to', '2026-11-01', '--per-day', '1'], {
      INGESTION_HTTP_PORT: String(port),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ingestion API is not reachable at http://127.0.0.1:${port}`);
  });

  it('names the settings of an API on a port Node will not connect to (1, on the Fetch standard list); exit 2', async () => {
    const r = await sparkflow(['backfill', '--from', '2026-11-01', '--to', '2026-11-01', '--per-day', '1'], {
      INGESTION_HTTP_PORT: '1',
    });
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/refuses port 1, .*set INGESTION_URL or INGESTION_HTTP_PORT/),
    });
  });

  it('names Cassandra when it does not answer', async () => {
    const r = await sparkflow(['users', 'get', randomUUID()], {
      CASSANDRA_PORT: '1',
      CASSANDRA_CONTACT_POINTS: '',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cassandra is not reachable at 127.0.0.1:1');
  });

  it('exits 2 on bad usage and bad settings', async () => {
    expect((await sparkflow(['topics', 'lsit'])).code).toBe(2);
    expect(
      (await sparkflow(['backfill', '--from', 'yesterday', '--to', '2026-11-01', '--per-day', '1'])).code,
    ).toBe(2);
    const bad = await sparkflow(['topics', 'list'], { AUDIT_HTTP_PORT: 'not-a-port' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('AUDIT_HTTP_PORT');
  });

  it('explains itself with --help, exit 0', async () => {
    const r = await sparkflow(['dlq', 'replay', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--payload-file');
  });
});

describe('backfill, dead letters and users on the running pipeline', () => {
  const seed = uniqueName('cli-it');
  let rawUser: Record<string, unknown>;

  it('backfill follows every batch until the audit reports it complete', async () => {
    const r = await json<{
      batches: { day: string; batchId: string; expected: number; persisted: number; complete: boolean }[];
    }>(['backfill', '--from', '2026-10-01', '--to', '2026-10-02', '--per-day', '20', '--seed', seed]);
    expect(r.batches).toEqual([
      expect.objectContaining({ day: '2026-10-01', expected: 20, persisted: 20, complete: true }),
      expect.objectContaining({ day: '2026-10-02', expected: 20, persisted: 20, complete: true }),
    ]);
    // One of the batch's people, found through the audit, then its raw record read back at its offset.
    const batch = (await (
      await fetch(`http://127.0.0.1:${settings.AUDIT_HTTP_PORT}/v1/batches/${r.batches[0].batchId}`, {
        headers: auditHeaders(settings),
      })
    ).json()) as { sampleUserId: string };
    const view = await json<{ history: { topic: string; partition: number; offset: string }[] }>([
      'users',
      'get',
      batch.sampleUserId,
    ]);
    const ingested = view.history.find((e) => e.topic === TOPICS.usersRaw)!;
    const [sample] = await json<Shown[]>([
      'topics',
      'tail',
      TOPICS.usersRaw,
      '--offset',
      `${ingested.partition}:${ingested.offset}`,
      '--limit',
      '1',
    ]);
    rawUser = sample.value.payload as Record<string, unknown>;
    expect(rawUser).toHaveProperty('login.uuid');
  });

  it("backfill run again with the same seed and days follows its own events, not the first run's", async () => {
    const again = await json<{
      complete: boolean;
      expected: number;
      persisted: number;
      deadLettered: number;
      batches: { ingested: number; persisted: number; complete: boolean }[];
    }>(['backfill', '--from', '2026-10-01', '--to', '2026-10-02', '--per-day', '20', '--seed', seed]);
    expect(again).toMatchObject({ complete: true, expected: 40, persisted: 40, deadLettered: 0 });
    expect(again.batches.map((b) => [b.ingested, b.persisted, b.complete])).toEqual([
      [20, 20, true],
      [20, 20, true],
    ]);
  });

  it('backfill of a day whose people enrichment would refuse is refused by ingestion, naming the option', async () => {
    // Registrations on a day to come: ingestion refuses the request rather than make people to dead-letter.
    // (A run whose people were dead-lettered exits 1 naming the dlq command: backfill.command.spec.)
    const r = await sparkflow([
      'backfill',
      '--from',
      '2030-11-01',
      '--to',
      '2030-11-01',
      '--per-day',
      '3',
      '--seed',
      seed,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from.*2030-11-01 is after today/);
  });

  it('replays a dead letter with a corrected payload into Cassandra, audited, marked as a replay', async () => {
    // A person whose e-mail is broken, pushed straight to users.raw as a producer would.
    const userId = randomUUID();
    const batchId = uniqueName('cli-it-dlq');
    const eventId = randomUUID();
    const traceId = randomUUID().replaceAll('-', '');
    const broken = {
      ...rawUser,
      email: 'not-an-email',
      login: { ...(rawUser['login'] as object), uuid: userId },
    };
    const envelope = {
      eventId,
      schemaVersion: SCHEMA_VERSION,
      source: 'http-push',
      batchId,
      producedAt: new Date().toISOString(),
      payload: broken,
    };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPICS.usersRaw,
      acks: -1,
      messages: [
        {
          key: userId,
          value: JSON.stringify(envelope),
          headers: {
            [HEADERS.eventId]: eventId,
            [HEADERS.batchId]: batchId,
            [HEADERS.source]: 'http-push',
            [HEADERS.traceparent]: `00-${traceId}-00f067aa0ba902b7-01`,
          },
        },
      ],
    });
    await producer.disconnect();

    interface Listed {
      dlqEventId: string;
      deadLetter: {
        stage: string;
        key: string;
        originalEventId: string;
        reasons: { code: string; path: string }[];
      };
    }
    const [dead] = await eventually('the dead letter', async () => {
      const rows = await json<Listed[]>(['dlq', 'list', '--batch', batchId, '--since', '2m']);
      return rows.length ? rows : null;
    });
    expect(dead.deadLetter).toMatchObject({ stage: 'enrichment', key: userId, originalEventId: eventId });
    expect(dead.deadLetter.reasons).toContainEqual(expect.objectContaining({ path: 'payload.email' }));

    // The person fixes the record they were shown …
    const shown = await sparkflow(['dlq', 'show', dead.dlqEventId, '--original']);
    expect(shown.code).toBe(0);
    // A UUID names the same dead letter in either case, as `events get` reads it.
    const upper = await sparkflow(['dlq', 'show', dead.dlqEventId.toUpperCase(), '--original']);
    expect(upper).toMatchObject({ code: 0, stdout: shown.stdout });
    const fixed = JSON.parse(shown.stdout) as typeof envelope;
    expect(fixed.payload.email).toBe('not-an-email');
    const dir = mkdtempSync(join(tmpdir(), 'sparkflow-cli-'));
    writeFileSync(
      join(dir, 'still-broken.json'),
      JSON.stringify({ ...fixed, payload: { ...fixed.payload, email: 42 } }),
    );
    fixed.payload.email = `fixed.${userId.slice(0, 8)}@example.com`;
    writeFileSync(join(dir, 'fixed.json'), JSON.stringify(fixed));

    // … a correction that would fail again is refused, a dry run publishes nothing …
    const refused = await sparkflow([
      'dlq',
      'replay',
      '--event',
      dead.dlqEventId,
      '--payload-file',
      join(dir, 'still-broken.json'),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('payload.email');
    const dry = await json<{ dryRun: boolean; replayed: { partition: number | null }[] }>([
      'dlq',
      'replay',
      '--event',
      dead.dlqEventId.toUpperCase(),
      '--dry-run',
    ]);
    expect(dry).toEqual({ dryRun: true, replayed: [expect.objectContaining({ partition: null })] });
    // A correction saved with a UTF-8 byte-order mark is the JSON after it: taken, and said so.
    writeFileSync(join(dir, 'fixed-bom.json'), `\ufeff${JSON.stringify(fixed)}`);
    const bom = await sparkflow([
      'dlq',
      'replay',
      '--event',
      dead.dlqEventId,
      '--payload-file',
      join(dir, 'fixed-bom.json'),
      '--dry-run',
    ]);
    expect({ code: bom.code, stderr: bom.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining('starts with a UTF-8 byte-order mark, left out of the record'),
    });
    // With the other producer client, a dry run still makes no producer: it neither fails nor publishes.
    const platformatic = { KAFKA_PRODUCER_CLIENT: 'platformatic' };
    const dryPlatformatic = await sparkflow(
      ['dlq', 'replay', '--event', dead.dlqEventId, '--dry-run', '--json'],
      platformatic,
    );
    expect(dryPlatformatic.code).toBe(0);
    expect(JSON.parse(dryPlatformatic.stdout)).toEqual(dry);
    // A correction that meets the contract but is larger than users.raw takes is the file's fault: exit 2,
    // whether the CLI sees it (3 MB) or only the broker does (a value just within max.message.bytes, which
    // its headers and the batch's framing take over).
    const limit = TOPIC_SPECS.find((t) => t.name === TOPICS.usersRaw)!.maxMessageBytes;
    const withNote = (note: string) => JSON.stringify({ ...fixed, payload: { ...fixed.payload, note } });
    const within = limit - 40 - Buffer.byteLength(withNote(''));
    for (const [name, noteBytes] of [
      ['huge.json', 3_000_000],
      ['just-within.json', within],
    ] as const) {
      writeFileSync(join(dir, name), withNote('x'.repeat(noteBytes)));
      const huge = await sparkflow(
        ['dlq', 'replay', '--event', dead.dlqEventId, '--payload-file', join(dir, name)],
        platformatic,
      );
      expect({ name, code: huge.code }).toEqual({ name, code: 2 });
      expect(huge.stderr).toMatch(
        /--payload-file: .* makes a record of \d+ bytes, larger than users\.raw takes \(max\.message\.bytes \d+\)/,
      );
      expect(huge.stderr).not.toContain('unexpected error');
    }

    // … and the fixed one is replayed under the original key, keeping the event id (sent by
    // @platformatic/kafka, which the CLI's client gives the brokers and principal).
    const replay = await json<{
      replayed: {
        dlqEventId: string;
        topic: string;
        key: string;
        eventId: string;
        partition: number;
        offset: string;
      }[];
    }>(
      ['dlq', 'replay', '--event', dead.dlqEventId, '--payload-file', join(dir, 'fixed.json')],
      platformatic,
    );
    expect(replay.replayed).toEqual([
      expect.objectContaining({ dlqEventId: dead.dlqEventId, topic: TOPICS.usersRaw, key: userId, eventId }),
    ]);
    const { partition, offset } = replay.replayed[0];
    const [onRaw] = await json<Shown[]>([
      'topics',
      'tail',
      TOPICS.usersRaw,
      '--offset',
      `${partition}:${offset}`,
      '--limit',
      '1',
    ]);
    expect(onRaw.headers[HEADERS.replayOf]).toBe(dead.dlqEventId);
    expect(onRaw.key).toBe(userId);
    // The second attempt is in the event's trace: the replay carries on the dead letter's trace context.
    expect(onRaw.headers[HEADERS.traceparent]?.split('-')[1]).toBe(traceId);

    // It ends in Cassandra …
    const client = createCassandraClient(cassandraConnection(settings));
    try {
      const row = await eventually('the row in sparkflow.users', async () =>
        (
          await client.execute('SELECT email FROM users WHERE user_id = ?', [userId], { prepare: true })
        ).first(),
      );
      expect(row['email']).toBe(fixed.payload.email);
    } finally {
      await client.shutdown();
    }

    // … and `users get` shows the row beside its audited history.
    interface UserView {
      cassandra: { user_id: string; email: string } | null;
      history: { eventId: string; outcome: string }[];
    }
    const view = await eventually('the persisted event in the audit', async () => {
      const v = await json<UserView>(['users', 'get', userId]);
      return v.history.some((e) => e.outcome === 'persisted') ? v : null;
    });
    expect(view.cassandra).toMatchObject({ user_id: userId, email: fixed.payload.email });
    expect(view.history.filter((e) => e.eventId === eventId).map((e) => e.outcome)).toEqual(
      expect.arrayContaining(['enriched', 'persisted']),
    );
  });

  it('users get exits 1 for a person nobody has seen', async () => {
    const r = await sparkflow(['users', 'get', randomUUID()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sparkflow: no user /m);
  });

  it('users get exits 1 naming the setting when the audit refuses the key, from the variable or --audit-key', async () => {
    for (const [args, env] of [
      [['users', 'get', randomUUID()], { AUDIT_API_KEYS: 'not-the-audit-key' }],
      [['--audit-key', 'not-the-audit-key', 'users', 'get', randomUUID()], {}],
    ] as const) {
      const r = await sparkflow([...args], env);
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 1,
        stderr: expect.stringMatching(
          /audit API answered GET .* with HTTP 401[\s\S]*set AUDIT_API_KEYS or --audit-key/,
        ),
      });
    }
  });
});

describe('sparkflow users get, when Cassandra answers and refuses the settings', () => {
  it.each([
    [
      'a wrong password',
      { CASSANDRA_PASSWORD: 'not-the-password' },
      /refused the login of sparkflow_app[\s\S]*Check CASSANDRA_USERNAME and CASSANDRA_PASSWORD/,
    ],
    [
      'a keyspace it does not have',
      { CASSANDRA_KEYSPACE: 'no_such_keyspace' },
      /has no keyspace "no_such_keyspace"[\s\S]*Check CASSANDRA_KEYSPACE/,
    ],
    [
      'a data centre it does not have',
      { CASSANDRA_LOCAL_DC: 'dc9' },
      /has no data centre "dc9"[\s\S]*Check CASSANDRA_LOCAL_DC/,
    ],
  ])('names the setting for %s, exit 1, instead of "start the stack"', async (_what, env, says) => {
    const r = await sparkflow(['users', 'get', randomUUID()], env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(says) });
    expect(r.stderr).not.toContain('Start the stack');
    expect(r.stderr).not.toContain('not-the-password');
  });
});

describe("sparkflow with a service's Kafka login, which may read a topic but not use the CLI's groups", () => {
  const { user } = kafkaPrincipal('enrichment');
  const login = { KAFKA_USERNAME: user, KAFKA_PASSWORD: devKafkaPassword(user) };

  it.each([
    ['dlq list', ['dlq', 'list', '--limit', '1']],
    ['dlq stats', ['dlq', 'stats']],
    ['topics tail', ['topics', 'tail', TOPICS.usersDlq, '--limit', '1']],
  ])(
    '%s exits 1 naming the principal and the group it was refused, without a stack trace',
    async (_, args) => {
      const r = await sparkflow(args, login);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Kafka refused ${user} the consumer group the CLI reads with`);
      expect(r.stderr).toContain('KAFKA_USERNAME');
      expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    },
  );
});
