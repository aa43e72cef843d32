import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Kafka, logLevel } from 'kafkajs';
import { SparkflowErrorCode, TOPICS, topicSpec } from '@sparkflow/contracts';
import {
  deadLetterRecordsWhere,
  deadLettersWhere,
  integrationSettings,
  kafkaConnection,
  scratchKafka,
} from '@sparkflow/testing';
import { installOpenTelemetry } from '@sparkflow/telemetry';
import { ensureTopics } from '../topics/ensure-topics';
import { SparkflowException } from '@sparkflow/errors';
import { EventProducer } from '../producer/event-producer';
import { BatchConsumer, type RetryNotice, describeRetry } from './batch-consumer';
import { ConsumerHealth } from './consumer-health';
import { OK, failed, type InboundMessage } from './inbound-message';

const settings = integrationSettings();
const kafka = new Kafka({
  clientId: 'batch-consumer-it',
  ...kafkaConnection(settings),
  logLevel: logLevel.NOTHING,
});
const scratch = scratchKafka(kafka);

/** A promise and the function that resolves it. */
function latch(): { done: Promise<void>; open: () => void } {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { done, open };
}

/** The dead letters whose original topic is `topic`, read from users.dlq's start. */
const deadLettersFrom = (topic: string, expected: number) =>
  deadLettersWhere(kafka, (d) => d.payload.originalTopic === topic, expected);

/** A topic holding two records: `sampled`, whose traceparent is sampled, and `unsampled`, with a tracestate. */
async function tracedRecords(prefix: string) {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  const sampled = { trace: hex(16), parent: hex(8) };
  const unsampled = { traceparent: `00-${hex(16)}-${hex(8)}-00`, tracestate: 'vendor=1' };
  const topic = await scratch.topic(prefix, [
    { key: 'sampled', value: '{}', headers: { traceparent: `00-${sampled.trace}-${sampled.parent}-01` } },
    { key: 'unsampled', value: '{}', headers: unsampled },
  ]);
  return { topic, sampled, unsampled };
}

describe('BatchConsumer on the real broker', () => {
  it('retries a transient failure, dead-letters a poison record with its reason, and commits past both', async () => {
    const groupId = scratch.group('it-consume-group');
    const values = ['{"n":1}', '{"n":2}', 'not json {', '{"n":4}', '{"n":5}'];
    const topic = await scratch.topic(
      'it-consume',
      values.map((value, i) => ({ key: `k${i}`, value })),
    );

    const handled: number[] = [];
    const attemptsOf4: number[] = [];
    let attempt = 0;
    const producer = new EventProducer(kafka);
    const { done, open: markDone } = latch();
    const consumer = new BatchConsumer({
      kafka,
      groupId,
      topics: [topic],
      stage: 'enrichment',
      producer,
      retry: { maxAttempts: 4, initialBackoffMs: 10, maxBackoffMs: 50 },
      observer: { processed: () => markDone() },
      handler: async (messages: readonly InboundMessage[]) => {
        attempt++;
        return messages.map((m) => {
          let n: number;
          try {
            n = (JSON.parse(m.value!.toString()) as { n: number }).n;
          } catch (cause) {
            return failed(new SparkflowException(SparkflowErrorCode.MalformedJson, 'not JSON', { cause }));
          }
          if (n === 4) {
            attemptsOf4.push(attempt);
            if (attemptsOf4.length < 3) return failed(new Error('Cassandra timed out'));
          }
          handled.push(n);
          return OK;
        });
      },
    });
    await consumer.start();
    await done;
    await consumer.stop();
    await producer.disconnect();

    expect(handled.sort()).toEqual([1, 2, 4, 5]);
    expect(attemptsOf4).toEqual([1, 2, 3]);

    const [dead] = await deadLettersFrom(topic, 1);
    expect(dead.payload).toMatchObject({
      stage: 'enrichment',
      originalTopic: topic,
      partition: 0,
      offset: '2',
      key: 'k2',
      payload: 'not json {',
      payloadEncoding: 'utf8',
      attempts: 1,
    });
    expect(dead.payload.reasons[0].code).toBe('MALFORMED_JSON');

    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(committed.partitions[0].offset).toBe('5');
  });

  it('dead-letters a record with an envelope but no sparkflow headers under its envelope event and batch', async () => {
    const eventId = randomUUID();
    const batchId = `rv7-noheaders-${randomBytes(4).toString('hex')}`;
    const value = JSON.stringify({
      eventId,
      schemaVersion: 1,
      source: 'http-push',
      batchId,
      producedAt: new Date().toISOString(),
      payload: { login: { uuid: randomUUID() }, email: 'not-an-email' },
    });
    const topic = await scratch.topic('it-noheaders', [{ key: null, value }]);

    const producer = new EventProducer(kafka);
    const { done, open: markDone } = latch();
    const consumer = new BatchConsumer({
      kafka,
      groupId: scratch.group('it-noheaders-group'),
      topics: [topic],
      stage: 'enrichment',
      producer,
      retry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 20 },
      observer: { processed: () => markDone() },
      handler: async (messages) =>
        messages.map(() =>
          failed(
            new SparkflowException(SparkflowErrorCode.SchemaInvalid, '1 invalid field(s)', {
              reasons: [
                { code: SparkflowErrorCode.SchemaInvalid, message: 'Invalid email address', path: 'email' },
              ],
            }),
          ),
        ),
    });
    await consumer.start();
    await done;
    await consumer.stop();
    await producer.disconnect();

    const [{ letter, headers }] = await deadLetterRecordsWhere(
      kafka,
      (d) => d.payload.originalTopic === topic,
    );
    expect(letter.payload).toMatchObject({
      originalEventId: eventId,
      originalBatchId: batchId,
      payload: value,
    });
    expect({ batchId: letter.batchId, source: letter.source }).toEqual({ batchId, source: 'http-push' });
    expect(headers['sparkflow-batch-id']).toBe(batchId);
  });

  it('waits out an outage for its budget, then dead-letters the record with the attempt count', async () => {
    const topic = await scratch.topic('it-exhaust', [
      { key: 'stuck', value: '{"n":1}' },
      { key: 'fine', value: '{"n":2}' },
    ]);

    const producer = new EventProducer(kafka);
    const { done, open: markDone } = latch();
    const consumer = new BatchConsumer({
      kafka,
      groupId: scratch.group('it-exhaust-group'),
      topics: [topic],
      stage: 'persistence',
      producer,
      retry: { maxAttempts: 3, outageBudgetMs: 300, initialBackoffMs: 10, maxBackoffMs: 20 },
      observer: { processed: () => markDone() },
      handler: async (messages) =>
        messages.map((m) =>
          m.key === 'stuck'
            ? failed(new SparkflowException(SparkflowErrorCode.CassandraUnavailable, 'no replicas'))
            : OK,
        ),
    });
    await consumer.start();
    await done;
    await consumer.stop();
    await producer.disconnect();

    const [dead] = await deadLettersFrom(topic, 1);
    expect(dead.payload).toMatchObject({ stage: 'persistence', key: 'stuck' });
    expect(dead.payload.attempts).toBeGreaterThan(3);
    expect(dead.payload.reasons).toEqual([
      { code: 'CASSANDRA_UNAVAILABLE', message: 'no replicas', path: null },
    ]);
  });

  it('dead-letters a record whose dead letter would exceed max.message.bytes, cut with its size and SHA-256, and keeps consuming', async () => {
    const groupId = scratch.group('it-too-large-group');
    // The incident: a name of `"` characters fits users.raw once escaped, but not users.dlq escaped twice.
    const huge = Buffer.from(JSON.stringify({ name: { first: '"'.repeat(480_000) } }));
    const topic = await scratch.topic('it-too-large', [
      { key: 'huge', value: huge },
      ...Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `{"n":${i}}` })),
    ]);

    const handled: string[] = [];
    const notices: RetryNotice[] = [];
    const producer = new EventProducer(kafka);
    const { done, open: markDone } = latch();
    const consumer = new BatchConsumer({
      kafka,
      groupId,
      topics: [topic],
      stage: 'enrichment',
      producer,
      observer: { processed: () => handled.length === 5 && markDone(), retrying: (n) => notices.push(n) },
      handler: async (messages) =>
        messages.map((m) => {
          if (m.key === 'huge') {
            return failed(
              new SparkflowException(SparkflowErrorCode.SchemaInvalid, 'name too long', {
                reasons: [
                  { code: SparkflowErrorCode.SchemaInvalid, message: 'too long', path: 'name.first' },
                ],
              }),
            );
          }
          handled.push(m.key!);
          return OK;
        }),
    });
    await consumer.start();
    await done;
    await consumer.stop();
    await producer.disconnect();

    expect(handled).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(notices).toEqual([]);
    const [dead] = await deadLettersFrom(topic, 1);
    expect(dead.payload).toMatchObject({
      key: 'huge',
      payloadTruncated: true,
      payloadBytes: huge.length,
      payloadSha256: createHash('sha256').update(huge).digest('hex'),
      reasons: [{ code: 'SCHEMA_INVALID', message: 'too long', path: 'name.first' }],
    });
    expect(huge.toString('utf8').startsWith(dead.payload.payload)).toBe(true);
    expect(dead.payload.payload.length).toBeGreaterThan(100_000);

    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(committed.partitions[0].offset).toBe('6');
  });

  it('rebuilds a dead letter the broker refuses as too large and keeps consuming, never crashing', async () => {
    const big = Buffer.from(JSON.stringify({ name: 'x'.repeat(300_000) }));
    const topic = await scratch.topic('it-dlq-refused', [
      { key: 'big', value: big },
      { key: 'next', value: '{"n":1}' },
    ]);

    // users.dlq configured smaller than its spec declares: the broker refuses the dead letter built to the spec.
    await ensureTopics(kafka.admin(), [{ ...topicSpec(TOPICS.usersDlq), maxMessageBytes: 64 * 1024 }]);
    const notices: RetryNotice[] = [];
    const handled: string[] = [];
    const producer = new EventProducer(kafka);
    const { done, open: markDone } = latch();
    const consumer = new BatchConsumer({
      kafka,
      groupId: scratch.group('it-dlq-refused-group'),
      topics: [topic],
      stage: 'enrichment',
      producer,
      retry: { initialBackoffMs: 10, maxBackoffMs: 50 },
      observer: { processed: () => markDone(), retrying: (n) => notices.push(n) },
      handler: async (messages) =>
        messages.map((m) =>
          m.key === 'big'
            ? failed(new SparkflowException(SparkflowErrorCode.SchemaInvalid, 'too long'))
            : (handled.push(m.key!), OK),
        ),
    });
    try {
      await consumer.start();
      await done;
    } finally {
      await consumer.stop();
      await producer.disconnect();
      await ensureTopics(kafka.admin(), [topicSpec(TOPICS.usersDlq)]);
    }

    expect(handled).toEqual(['next']);
    expect(notices.map((n) => [n.what, n.code])).toEqual([['dead letters', 'RECORD_TOO_LARGE']]);
    expect(describeRetry(notices[0])).toMatch(
      /^retrying: 1 dead letters of it-dlq-refused.*\[0\] from offset 0, attempt 1, next in \d+ ms: RECORD_TOO_LARGE: /,
    );
    const [dead] = await deadLettersFrom(topic, 1);
    expect(dead.payload).toMatchObject({ key: 'big', payloadTruncated: true, payloadBytes: big.length });
    expect(Buffer.byteLength(JSON.stringify(dead))).toBeLessThan(16 * 1024);
  });

  it('works every partition of its topics at once by default, so a fetch is never worked in waves', async () => {
    // Two topics, 3 + 4 partitions, a record on each. Every batch waits until all 7 are in hand at once:
    // with fewer workers than partitions the 7th never starts and the test times out.
    const holding = (prefix: string, partitions: number) =>
      scratch.topic(
        prefix,
        Array.from({ length: partitions }, (_, partition) => ({
          partition,
          key: `p${partition}`,
          value: '{}',
        })),
        { partitions },
      );
    const topics = [await holding('it-waves-a', 3), await holding('it-waves-b', 4)];
    const { done: allInHand, open: openGate } = latch();
    const { done, open: markDone } = latch();
    let inHand = 0;
    let mostInHand = 0;
    let handled = 0;
    const producer = new EventProducer(kafka);
    const consumer = new BatchConsumer({
      kafka,
      groupId: scratch.group('it-waves-group'),
      topics,
      stage: 'enrichment',
      producer,
      observer: { processed: () => handled === 7 && markDone() },
      handler: async (messages) => {
        mostInHand = Math.max(mostInHand, ++inHand);
        if (inHand === 7) openGate();
        await allInHand;
        inHand--;
        handled += messages.length;
        return messages.map(() => OK);
      },
    });
    await consumer.start();
    try {
      // Bounded, so a consumer that works in waves fails here, saying how many it held, and is stopped.
      const timeout = setTimeout(openGate, 20_000);
      await done;
      clearTimeout(timeout);
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
    expect(mostInHand).toBe(7);
  });

  it('replaces a consumer that stopped making progress with records waiting, and leaves an idle one alone', async () => {
    const groupId = scratch.group('it-stall-group');
    const topic = await scratch.topic(
      'it-stall',
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `{"n":${i}}` })),
    );

    // The first call does not return until the end of the test, as a consumer that silently stopped
    // would not; later calls succeed.
    let calls = 0;
    let release!: () => void;
    const stuck = new Promise<never>((_, reject) => (release = () => reject(new Error('released'))));
    const handled = new Set<string>();
    const reasons: string[] = [];
    const health = new ConsumerHealth();
    const reported = jest.spyOn(health, 'report');
    const producer = new EventProducer(kafka);
    const { done, open: markDone } = latch();
    const consumer = new BatchConsumer({
      kafka,
      groupId,
      topics: [topic],
      stage: 'enrichment',
      producer,
      sessionTimeoutMs: 10_000,
      watchdog: { checkEveryMs: 250, stallAfterMs: 1500, disconnectTimeoutMs: 1000 },
      health,
      observer: {
        restarted: (reason) => reasons.push(reason),
        processed: () => handled.size === 20 && markDone(),
      },
      handler: async (messages) => {
        if (++calls === 1) return stuck;
        messages.forEach((m) => handled.add(m.key!));
        return messages.map(() => OK);
      },
    });
    await consumer.start();
    await done;
    // Idle with nothing to read: several stall periods pass without another restart.
    await new Promise((resolve) => setTimeout(resolve, 3 * 1500));
    await expect(health.check()).resolves.toBeUndefined();
    release(); // the abandoned batch returns without committing
    await consumer.stop();
    await expect(health.check()).rejects.toThrow('stopped');
    // Readiness said why while the consumer was being replaced, and recovered after.
    expect(reported.mock.calls.map(([problem]) => problem?.replace(/\d+/g, 'N') ?? 'consuming')).toEqual([
      'consuming',
      'restarting the consumer: no batch for N s while N records wait',
      'consuming',
      'stopped',
    ]);
    await producer.disconnect();

    expect(handled.size).toBe(20);
    expect(consumer.restarts).toBe(1);
    expect(reasons[0]).toMatch(/^no batch for \d+ s while 20 records wait$/);
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(committed.partitions[0].offset).toBe('20');
  });

  it("gives a sampled record its own process span and passes an unsampled record's trace headers on as they came", async () => {
    // The services' context manager and W3C propagator, with the spans kept in memory.
    const spans = new InMemorySpanExporter();
    const otel = installOpenTelemetry({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
    const { topic, sampled, unsampled } = await tracedRecords('it-trace');
    const producer = new EventProducer(kafka);
    const seen = new Map<string, Readonly<Record<string, string>>>();
    const { done, open } = latch();
    const consumer = new BatchConsumer({
      kafka,
      groupId: scratch.group('it-trace-group'),
      topics: [topic],
      stage: 'enrichment',
      producer,
      handler: async (messages: readonly InboundMessage[]) => {
        for (const m of messages) seen.set(m.key!, m.traceHeaders);
        if (seen.size === 2) open();
        return messages.map(() => OK);
      },
    });
    let processSpans: ReadableSpan[];
    try {
      try {
        await consumer.start();
        await done;
      } finally {
        await consumer.stop(); // the batch's spans have ended once it returns
        await producer.disconnect();
      }
      processSpans = spans.getFinishedSpans().filter((s) => s.name === `process ${topic}`);
    } finally {
      await otel.shutdown(); // clears the exporter
    }

    expect(seen.get('unsampled')).toEqual(unsampled);
    const [, trace, spanId, flags] = seen.get('sampled')!['traceparent'].split('-');
    expect([trace, flags]).toEqual([sampled.trace, '01']);
    // One span, the sampled record's, continuing its trace; its id is the parent the next record names.
    expect(processSpans).toHaveLength(1);
    expect(processSpans[0].spanContext()).toMatchObject({ traceId: sampled.trace, spanId });
    expect(processSpans[0].parentSpanContext?.spanId).toBe(sampled.parent);
  });

  it('gives a dead letter the trace of the record it stands for, sampled or not', async () => {
    const otel = installOpenTelemetry({ spanProcessors: [] });
    const { topic, sampled, unsampled } = await tracedRecords('it-trace-dead');
    const producer = new EventProducer(kafka);
    const seen = new Map<string, Readonly<Record<string, string>>>();
    const { done, open } = latch();
    const consumer = new BatchConsumer({
      kafka,
      groupId: scratch.group('it-trace-dead-group'),
      topics: [topic],
      stage: 'enrichment',
      producer,
      observer: { deadLettered: () => open() },
      handler: async (messages: readonly InboundMessage[]) => {
        for (const m of messages) seen.set(m.key!, m.traceHeaders);
        return messages.map(() =>
          failed(new SparkflowException(SparkflowErrorCode.SchemaInvalid, 'refused')),
        );
      },
    });
    try {
      await consumer.start();
      await done;
    } finally {
      await consumer.stop();
      await producer.disconnect();
      await otel.shutdown();
    }

    const letters = await deadLetterRecordsWhere(kafka, (d) => d.payload.originalTopic === topic, 2);
    const headersOf = (key: string) => letters.find((l) => l.letter.payload.key === key)!.headers;
    // The sampled record's letter continues its process span; the unsampled one's carries its headers as they came.
    expect(headersOf('sampled')['traceparent']).toBe(seen.get('sampled')!['traceparent']);
    expect(headersOf('sampled')['traceparent'].split('-')[1]).toBe(sampled.trace);
    expect(headersOf('unsampled')).toMatchObject(unsampled);
  });
});
