import { Command } from 'commander';
import type { KafkaMessage } from 'kafkajs';
import { DeadLetterEvent, HEADERS, TOPICS, type AuditTrailEvent } from '@sparkflow/contracts';
import type { CliConfig } from '../cli.config';
import { contextOf } from '../context';
import { parseUuid } from './options';
import { auditEntityOrFail } from '../http/api';
import { cliKafka, explainKafkaError, withAdmin } from '../kafka/connection';
import { recordsAt } from '../kafka/reader';
import { headersOf } from '../kafka/records';
import { traceIdOf } from '../pipeline/stages';
import { reasonLine } from '../output/reasons';

export interface LineageStep extends AuditTrailEvent {
  /** The record's Kafka timestamp, read from the topic (null when retention removed it). */
  timestamp: string | null;
  traceId: string | null;
  /** For a dead letter: the stage that failed it. */
  deadLetterStage: string | null;
}

/** The records of the lineage as Kafka still holds them, keyed `topic:partition:offset`. */
async function kafkaRecords(
  cfg: CliConfig,
  steps: readonly AuditTrailEvent[],
): Promise<Map<string, KafkaMessage>> {
  const kafka = cliKafka(cfg);
  const found = new Map<string, KafkaMessage>();
  const byTopic = new Map<string, Placed[]>();
  // A person ingestion refused has no place on users.raw: there is no record to read.
  for (const s of steps.filter(placed)) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s]);
  const highs = await withAdmin(cfg, kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const out = new Map<string, Map<number, bigint>>();
    for (const topic of byTopic.keys()) {
      if (existing.has(topic))
        out.set(
          topic,
          new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)])),
        );
    }
    return out;
  });
  for (const [topic, list] of byTopic) {
    const high = highs.get(topic);
    if (!high) continue;
    const got = await recordsAt(
      kafka,
      topic,
      list.map((s) => ({ partition: s.partition, offset: BigInt(s.offset) })),
      high,
    ).catch((err: unknown) => explainKafkaError(cfg, err));
    for (const s of list) {
      const m = got.get(`${s.partition}:${s.offset}`);
      // recordsAt answers the first record at or after the offset; only the exact one is this event's.
      if (m && m.offset === s.offset) found.set(`${topic}:${s.partition}:${s.offset}`, m);
    }
  }
  return found;
}

type Placed = AuditTrailEvent & { partition: number; offset: string };
const placed = (s: AuditTrailEvent): s is Placed => s.partition !== null && s.offset !== null;

function stepOf(s: AuditTrailEvent, m: KafkaMessage | undefined): LineageStep {
  let deadLetterStage: string | null = null;
  if (m && s.outcome === 'dead-lettered') {
    try {
      const d = DeadLetterEvent.safeParse(JSON.parse(m.value?.toString('utf8') ?? 'null'));
      if (d.success) deadLetterStage = d.data.payload.stage;
    } catch {
      /* not JSON: the audit's reasons still explain it */
    }
  }
  return {
    ...s,
    timestamp: m ? new Date(Number(m.timestamp)).toISOString() : null,
    traceId: m ? traceIdOf(headersOf(m)[HEADERS.traceparent]) : null,
    deadLetterStage,
  };
}

const TOPIC_RANK: Record<string, number> = {
  [TOPICS.usersRaw]: 0,
  [TOPICS.usersEnriched]: 1,
  [TOPICS.usersDlq]: 2,
  [TOPICS.usersPersisted]: 3,
};

/**
 * The audit records topics in parallel, so its order is not the event's. Each record is produced after
 * the one it came from: order by record time, then by the topics' place in the pipeline.
 */
export function inPipelineOrder(steps: readonly LineageStep[]): LineageStep[] {
  const time = (s: LineageStep) => Date.parse(s.timestamp ?? s.appendedAt ?? s.producedAt ?? s.recordedAt);
  return [...steps].sort(
    (a, b) => time(a) - time(b) || (TOPIC_RANK[a.topic] ?? 9) - (TOPIC_RANK[b.topic] ?? 9),
  );
}

export function eventsCommand(): Command {
  const events = new Command('events').description('follow one event through the pipeline');
  events
    .command('get')
    .description(
      "an event's lineage across topics: each record's topic, partition, offset, time and trace id, and the reasons where it was dead-lettered",
    )
    .argument(
      '<eventId>',
      'the event id (the same on every topic the event crosses)',
      parseUuid('<eventId>', 'an event id'),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow events get 0b7e3c1a-9d2f-4a6b-8e5c-1f3a7d9b2e40
  $ sparkflow events get <eventId> --json | jq '.lineage[] | {topic, traceId}'

The trace id is read from the record's traceparent header, where Kafka still holds the record.
Exit codes: 0 found, 1 the audit has no such event, 2 not an event id.`,
    )
    .action(async (eventId: string, _opts: object, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const body = await auditEntityOrFail<{ stages: AuditTrailEvent[] }>(
        cfg,
        `/v1/events/${eventId.toLowerCase()}`,
        `no event ${eventId} in the audit`,
      );
      const records = await kafkaRecords(cfg, body.stages);
      const lineage = inPipelineOrder(
        body.stages.map((s) => stepOf(s, records.get(`${s.topic}:${s.partition}:${s.offset}`))),
      );
      if (out.json) return out.data({ eventId, lineage });
      out.table(lineage, [
        {
          header: 'TOPIC',
          value: (s) => s.topic,
          style: (s) => (s.outcome === 'dead-lettered' ? 'yellow' : undefined),
        },
        { header: 'OUTCOME', value: (s) => s.outcome },
        { header: 'PARTITION', value: (s) => s.partition, align: 'right' },
        { header: 'OFFSET', value: (s) => s.offset, align: 'right' },
        { header: 'TIME', value: (s) => s.timestamp ?? s.appendedAt ?? s.producedAt },
        { header: 'TRACE ID', value: (s) => s.traceId },
        { header: 'BATCH', value: (s) => s.batchId },
      ]);
      for (const s of lineage.filter((x) => x.reasons?.length)) {
        out.line();
        out.line(
          out.paint(
            'yellow',
            `dead-lettered${s.deadLetterStage ? ` by ${s.deadLetterStage}` : ''} (${s.topic}[${s.partition}]@${s.offset}):`,
          ),
        );
        for (const r of s.reasons ?? []) out.line(`  ${reasonLine(r)}`);
      }
    });
  return events;
}
