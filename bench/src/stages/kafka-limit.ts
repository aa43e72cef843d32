import { randomUUID } from 'node:crypto';
import { CompressionTypes, Kafka, Partitioners, logLevel, type Message, type SASLOptions } from 'kafkajs';
import {
  HEADERS,
  SCHEMA_VERSION,
  TOPICS,
  devKafkaPassword,
  kafkaPrincipal,
  topicSpec,
  type RawUserEvent,
} from '@sparkflow/contracts';
import { chunks, forEachConcurrent, perSecond, type RunContext } from '../run-context';
import { meterEngine } from '../stack-process';

export interface KafkaLimitResult {
  topic: string;
  partitions: number;
  records: number;
  bytes: number;
  messagesPerSend: number;
  sendsInFlight: number;
  wallMs: number;
  recordsPerSec: number;
  /** The broker's CPU over the timed produce, per record. */
  kafkaCpuMsPerRecord: number;
}

/** users.raw envelopes exactly as ingestion writes them: key login.uuid, JSON value, batch-size header. */
export function rawEnvelopes(ctx: RunContext, batchId: string): Message[] {
  const producedAt = new Date().toISOString();
  return ctx.users.map((payload) => {
    const event: RawUserEvent = {
      eventId: randomUUID(),
      schemaVersion: SCHEMA_VERSION,
      source: 'synthetic',
      batchId,
      producedAt,
      payload,
    };
    return {
      key: payload.login.uuid.toLowerCase(),
      value: JSON.stringify(event),
      headers: { [HEADERS.batchSize]: String(ctx.users.length) },
    };
  });
}

/**
 * The bench signs in as its own principal, which may create, write, read and delete only `bench.` topics
 * (KAFKA_BENCH_PASSWORD, the stack's development password by default). The baseline's Spark job reads
 * those topics with the same login.
 */
export function benchKafkaLogin(ctx: RunContext): { KAFKA_USERNAME: string; KAFKA_PASSWORD: string } {
  const user = kafkaPrincipal('bench').user;
  return {
    KAFKA_USERNAME: user,
    KAFKA_PASSWORD: ctx.opts.env['KAFKA_BENCH_PASSWORD'] ?? devKafkaPassword(user),
  };
}

export function benchKafka(ctx: RunContext): Kafka {
  const login = benchKafkaLogin(ctx);
  return new Kafka({
    clientId: `bench-${ctx.runId}`,
    brokers: ctx.opts.settings.KAFKA_BROKERS.split(','),
    sasl: {
      mechanism: ctx.opts.settings.KAFKA_SASL_MECHANISM,
      username: login.KAFKA_USERNAME,
      password: login.KAFKA_PASSWORD,
    } as SASLOptions,
    logLevel: logLevel.NOTHING,
  });
}

// kafkajs has no linger: its best batching is large sendBatch calls, several in flight. acks=all and not
// idempotent, as `EventProducer` produces (ADR 11), so the limit buys no durability the pipeline lacks.
const MESSAGES_PER_SEND = 2000;
const SENDS_IN_FLIGHT = 4;

/**
 * Produces the N envelopes to a fresh topic shaped like users.raw (same partition count), never to
 * users.raw itself, where the running services would consume them. The topic is left for the baseline
 * stage to read and deleted by the caller.
 */
export async function kafkaLimit(ctx: RunContext, topic: string): Promise<KafkaLimitResult> {
  const partitions = topicSpec(TOPICS.usersRaw).partitions;
  const kafka = benchKafka(ctx);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  const messages = rawEnvelopes(ctx, `bench-${ctx.runId}-kafka`);
  const bytes = messages.reduce((n, m) => n + Buffer.byteLength(m.value as string), 0);
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner, // EventProducer's, named as it names it
    idempotent: false,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    // Warm-up: metadata and connections to every partition leader are not part of the rate.
    await producer.send({ topic, acks: -1, messages: messages.slice(0, 1) });
    const timed = messages.slice(1);
    const { result: wallMs, engineCpuMsPerRecord } = await meterEngine(
      ctx.opts.settings.SPARKFLOW_HOME,
      'kafka',
      timed.length,
      async () => {
        const started = performance.now();
        await forEachConcurrent(chunks(timed, MESSAGES_PER_SEND), SENDS_IN_FLIGHT, async (batch) => {
          await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: batch });
        });
        return performance.now() - started;
      },
    );
    ctx.log(
      `kafka-limit: ${messages.length} records, ${(bytes / 1e6).toFixed(1)} MB in ${Math.round(wallMs)} ms; ` +
        `Kafka ${engineCpuMsPerRecord} CPU-ms per record`,
    );
    return {
      topic,
      partitions,
      records: messages.length,
      bytes,
      messagesPerSend: MESSAGES_PER_SEND,
      sendsInFlight: SENDS_IN_FLIGHT,
      wallMs: Math.round(wallMs),
      recordsPerSec: perSecond(messages.length - 1, wallMs),
      kafkaCpuMsPerRecord: engineCpuMsPerRecord,
    };
  } finally {
    await producer.disconnect();
  }
}

/** Deletes the topic if it exists (a stage that failed early may not have created it). */
export async function deleteTopic(ctx: RunContext, topic: string): Promise<void> {
  const admin = benchKafka(ctx).admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}
