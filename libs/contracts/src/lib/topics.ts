/**
 * Topic names and their settings. This file is the only place a topic is named: the services,
 * the CLI, the local stack, Airflow and Spark (through `generated/topics.json`) all read it.
 * Renaming a topic strands the data and offsets of the old one, so names change only with a migration plan.
 */
export const TOPICS = {
  usersRaw: 'users.raw',
  usersEnriched: 'users.enriched',
  usersDlq: 'users.dlq',
  usersPersisted: 'users.persisted',
} as const;

export type TopicKey = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicKey];

export interface TopicSpec {
  readonly name: TopicName;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /**
   * The topic's `max.message.bytes`: the largest record batch the broker accepts. Producers build what
   * they write to fit it (a dead letter cuts its preserved payload), and ensure-topics sets it.
   */
  readonly maxMessageBytes: number;
  readonly description: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** The broker's default (1 MiB, plus the 12-byte log overhead it allows), stated so it is ours to change. */
const ONE_MB = 1024 * 1024 + 12;

/**
 * Every SparkFlow topic stamps its records with the broker's clock (`message.timestamp.type`), whatever
 * their producer said: the time an event's `producedAt` is judged against (`recordTimeMicros`), the same
 * each time the record is read. Set by ensure-topics and declared on the Strimzi KafkaTopics.
 */
export const TOPIC_TIMESTAMP_TYPE = 'LogAppendTime';

export const TOPIC_SPECS: readonly TopicSpec[] = [
  {
    name: TOPICS.usersRaw,
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: ONE_MB,
    description: 'Raw randomuser-shaped records as ingested, keyed by login.uuid.',
  },
  {
    name: TOPICS.usersEnriched,
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: ONE_MB,
    description: 'Validated, normalised users with derived fields, keyed by user id.',
  },
  {
    name: TOPICS.usersDlq,
    partitions: 3,
    // Dead letters are evidence: they are kept long enough for a person to look at them and replay.
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: ONE_MB,
    description: 'Records that failed a stage, with every reason and where they came from.',
  },
  {
    name: TOPICS.usersPersisted,
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: ONE_MB,
    description: 'Acknowledgements written after a user is durable in Cassandra.',
  },
];

export function topicSpec(name: TopicName): TopicSpec {
  const spec = TOPIC_SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`no topic spec for ${name}`);
  return spec;
}
