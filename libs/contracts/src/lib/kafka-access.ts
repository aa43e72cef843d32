import { TOPICS, type TopicName } from './topics';

/**
 * Who may do what on Kafka: one SCRAM principal per client, with ACLs on exactly the topics and groups
 * it uses. The stack grants these (and removes any other ACL of these principals) at every `up`; the
 * authentication spec derives its allowed/refused checks from the same list, so the two cannot drift.
 * Anything not granted here is refused (`allow.everyone.if.no.acl.found=false`).
 */
export interface KafkaPrincipal {
  /** Key of the client; its password variable is KAFKA_<ROLE>_PASSWORD on the stack. */
  readonly role: KafkaRole;
  /** SCRAM user name; the ACL principal is `User:<user>`. */
  readonly user: string;
  /** Topics it reads (Read, which implies Describe). */
  readonly consumes: readonly TopicName[];
  /** Topics it writes (Write, which lets it read the topic's metadata too). */
  readonly produces: readonly TopicName[];
  /** Consumer groups it joins or commits for (Read on the group). */
  readonly groups: readonly string[];
  /** Prefixes of throw-away groups it creates (Read on a PREFIXED group pattern). */
  readonly groupPrefixes: readonly string[];
  /** Topics it creates, writes, reads and deletes by name prefix (PREFIXED pattern), e.g. the bench's own. */
  readonly ownedTopicPrefixes: readonly string[];
  /**
   * Operator read access to every topic (records and configs) and every group's offsets, including the
   * coordinator's commit log (`__consumer_offsets`), whose record times say since when a group has not moved.
   */
  readonly inspects: boolean;
}

export type KafkaRole = 'ingestion' | 'enrichment' | 'persistence' | 'audit' | 'cli' | 'spark' | 'bench';

/** The one super user: the stack's own admin (topics, ACLs, credentials) and the tests that make their own topics. */
export const KAFKA_ADMIN_USER = 'sparkflow-admin';

/** Consumer groups of the services (their `<APP>_GROUP_ID` defaults). */
export const CONSUMER_GROUPS = {
  enrichment: 'sparkflow-enrichment',
  persistence: 'sparkflow-persistence',
  audit: 'sparkflow-audit',
} as const;

/** The CLI reads with throw-away groups of this prefix, which `topics describe` leaves out. */
export const CLI_GROUP_PREFIX = 'sparkflow-cli-';
/** Spark's Kafka source names its consumers' groups with this prefix (its `groupIdPrefix` default). */
export const SPARK_GROUP_PREFIX = 'spark-kafka-source-';
/** The bench writes to and deletes topics of its own, never the pipeline's. */
export const BENCH_TOPIC_PREFIX = 'bench.';

const principal = (p: Partial<KafkaPrincipal> & Pick<KafkaPrincipal, 'role'>): KafkaPrincipal => ({
  user: `sparkflow-${p.role}`,
  consumes: [],
  produces: [],
  groups: [],
  groupPrefixes: [],
  ownedTopicPrefixes: [],
  inspects: false,
  ...p,
});

export const KAFKA_PRINCIPALS: readonly KafkaPrincipal[] = [
  // Ingestion dead-letters the people it refuses itself.
  principal({ role: 'ingestion', produces: [TOPICS.usersRaw, TOPICS.usersDlq] }),
  principal({
    role: 'enrichment',
    consumes: [TOPICS.usersRaw],
    produces: [TOPICS.usersEnriched, TOPICS.usersDlq],
    groups: [CONSUMER_GROUPS.enrichment],
  }),
  principal({
    role: 'persistence',
    consumes: [TOPICS.usersEnriched],
    produces: [TOPICS.usersPersisted, TOPICS.usersDlq],
    groups: [CONSUMER_GROUPS.persistence],
  }),
  // The audit quarantines on users.dlq what it cannot store. It does not read users.enriched: an event's
  // enriched stage comes with persistence's acknowledgement or dead letter.
  principal({
    role: 'audit',
    consumes: [TOPICS.usersRaw, TOPICS.usersDlq, TOPICS.usersPersisted],
    produces: [TOPICS.usersDlq],
    groups: [CONSUMER_GROUPS.audit],
  }),
  // `dlq replay` re-publishes a dead letter to the topic it came from.
  principal({
    role: 'cli',
    produces: [TOPICS.usersRaw, TOPICS.usersEnriched, TOPICS.usersPersisted],
    groupPrefixes: [CLI_GROUP_PREFIX],
    inspects: true,
  }),
  // The streaming jobs read; their baseline reads the bench's copy of users.raw.
  principal({
    role: 'spark',
    consumes: [TOPICS.usersRaw, TOPICS.usersEnriched],
    groupPrefixes: [SPARK_GROUP_PREFIX],
  }),
  // Its client comparison consumes with groups named after its own topics.
  principal({
    role: 'bench',
    ownedTopicPrefixes: [BENCH_TOPIC_PREFIX],
    groupPrefixes: [SPARK_GROUP_PREFIX, BENCH_TOPIC_PREFIX],
  }),
];

export function kafkaPrincipal(role: KafkaRole): KafkaPrincipal {
  const p = KAFKA_PRINCIPALS.find((x) => x.role === role);
  if (!p) throw new Error(`no Kafka principal for ${role}`);
  return p;
}

/**
 * The password a principal has on a developer's native stack when KAFKA_<ROLE>_PASSWORD is not set
 * (`<user>-dev`, like the other `-dev` defaults); any shared environment sets its own.
 */
export const devKafkaPassword = (user: string): string => `${user}-dev`;

/** The variable that carries a principal's password on the stack and in Compose. */
export const kafkaPasswordVariable = (role: KafkaRole | 'admin'): string =>
  `KAFKA_${role.toUpperCase()}_PASSWORD`;
