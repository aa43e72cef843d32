import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HEADERS, SCHEMA_VERSION, TOPICS } from '@sparkflow/contracts';
import { topicEndOffsets, uniqueName } from '@sparkflow/testing';
import type { BadInputCase } from './bad-input-case';
import { API_KEY, INGESTION, cassandra, deadLettersOfBatch, kafka, settings } from './pipeline-client';

type Case = BadInputCase;

const { cases } = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'bad-input.json'), 'utf8')) as {
  cases: Case[];
};
const SERVICES = ['ingestion', 'enrichment', 'persistence', 'audit'];
const pids = () =>
  SERVICES.map((s) => readFileSync(join(settings.SPARKFLOW_HOME, 'run', `${s}.pid`), 'utf8').trim());

function httpBody(c: Case): string | Buffer {
  if (c.bytesBase64) return Buffer.from(c.bytesBase64, 'base64');
  if (c.text !== undefined) return c.text;
  if (c.nestingDepth) return `${'{"v":'.repeat(c.nestingDepth)}0${'}'.repeat(c.nestingDepth)}`;
  if (c.padFirstNameTo) {
    const body = structuredClone(c.body) as { name: { first: string } };
    body.name.first = 'x'.repeat(c.padFirstNameTo);
    return JSON.stringify(body);
  }
  return JSON.stringify(c.body);
}

function recordValue(c: Case, batchId: string): string | Buffer {
  if (c.bytesBase64) return Buffer.from(c.bytesBase64, 'base64');
  if (c.text !== undefined) return c.text;
  if (!c.envelope) return JSON.stringify(c.body);
  return JSON.stringify({
    eventId: randomUUID(),
    schemaVersion: SCHEMA_VERSION,
    source: 'http-push',
    batchId,
    producedAt: new Date().toISOString(),
    payload: c.body,
  });
}

describe(`the bad-input corpus (${cases.length} cases)`, () => {
  const before = pids();

  it.each(cases.filter((c) => c.channel === 'http').map((c) => [c.name, c] as const))(
    '%s → its 4xx',
    async (_name, c) => {
      const res = await fetch(`${INGESTION}/v1/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...c.headers },
        body: httpBody(c),
      });
      expect(res.status).toBe(c.expect.status);
    },
  );

  it('dead-letters every bad record written to the topics with its reason, and stores the hostile-but-valid ones verbatim', async () => {
    const batchId = uniqueName('bad-input');
    const kafkaCases = cases.filter((c) => c.channel !== 'http');
    const dlqFrom = await topicEndOffsets(kafka, TOPICS.usersDlq);
    const producer = kafka.producer();
    await producer.connect();
    for (const [i, c] of kafkaCases.entries()) {
      const key = c.expect.stored ? String((c.body as { login: { uuid: string } }).login.uuid) : `bad-${i}`;
      await producer.send({
        topic: c.channel,
        messages: [
          {
            key,
            value: recordValue(c, batchId),
            headers: {
              [HEADERS.eventId]: randomUUID(),
              [HEADERS.batchId]: batchId,
              [HEADERS.source]: 'http-push',
            },
          },
        ],
      });
    }
    await producer.disconnect();

    const expectedDead = kafkaCases.filter((c) => c.expect.deadLetter);
    const dead = await deadLettersOfBatch(batchId, expectedDead.length, { from: dlqFrom });
    const missing = kafkaCases.flatMap((c, i) => {
      const want = c.expect.deadLetter;
      if (!want) return [];
      const letter = dead.find((d) => d.payload.key === `bad-${i}`);
      const ok =
        letter &&
        letter.payload.stage === want.stage &&
        letter.payload.reasons.some(
          (r) => r.code === want.code && (want.path === undefined || r.path === want.path),
        );
      return ok
        ? []
        : [
            {
              case: c.name,
              want,
              got: letter
                ? { stage: letter.payload.stage, reasons: letter.payload.reasons }
                : 'no dead letter',
            },
          ];
    });
    expect(missing).toEqual([]);

    const client = cassandra();
    await client.connect();
    try {
      for (const c of kafkaCases.filter((k) => k.expect.stored)) {
        const id = (c.body as { login: { uuid: string } }).login.uuid.toLowerCase();
        let row: Record<string, unknown> | null = null;
        for (const deadline = Date.now() + 30_000; !row && Date.now() < deadline; await sleep(250)) {
          row = (
            await client.execute('SELECT * FROM users WHERE user_id = ?', [id], { prepare: true })
          ).first();
        }
        expect({
          case: c.name,
          row: row && Object.fromEntries(Object.keys(c.expect.stored!).map((k) => [k, row![k]])),
        }).toEqual({
          case: c.name,
          row: c.expect.stored,
        });
      }
    } finally {
      await client.shutdown();
    }
  });

  it('leaves every service running (same processes) and no consumer group behind', async () => {
    expect(pids()).toEqual(before);
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const [groupId, topic] of [
        ['sparkflow-enrichment', TOPICS.usersRaw],
        ['sparkflow-persistence', TOPICS.usersEnriched],
      ]) {
        let lag = -1;
        for (const deadline = Date.now() + 60_000; lag !== 0 && Date.now() < deadline; await sleep(500)) {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
          const ends = await admin.fetchTopicOffsets(topic);
          lag = ends.reduce((sum, end) => {
            const committed = offsets.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
            return sum + Number(end.high) - Math.max(0, Number(committed));
          }, 0);
        }
        expect({ groupId, lag }).toEqual({ groupId, lag: 0 });
      }
    } finally {
      await admin.disconnect();
    }
  });
});
