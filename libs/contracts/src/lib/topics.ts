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
  readonly description: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const TOPIC_SPECS: readonly TopicSpec[] = [
  {
    name: TOPICS.usersRaw,
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    description: 'Raw randomuser-shaped records as ingested, keyed by login.uuid.',
  },
  {
    name: TOPICS.usersEnriched,
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    description: 'Validated, normalised users with derived fields, keyed by user id.',
  },
  {
    name: TOPICS.usersDlq,
    partitions: 3,
    // Dead letters are evidence: they are kept long enough for a person to look at them and replay.
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    description: 'Records that failed a stage, with every reason and where they came from.',
  },
  {
    name: TOPICS.usersPersisted,
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    description: 'Acknowledgements written after a user is durable in Cassandra.',
  },
];

export function topicSpec(name: TopicName): TopicSpec {
  const spec = TOPIC_SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`no topic spec for ${name}`);
  return spec;
}
