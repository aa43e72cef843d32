import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
import {
  OFFSETS_TOPIC,
  type OffsetCommit,
  committedSince,
  isStalled,
  lagMessages,
  lagSeconds,
  nextUnread,
  offsetsPartitionFor,
  parseOffsetCommit,
  stalledForMs,
} from '@sparkflow/kafka';
import { CLI_GROUP_PREFIX, readRanges, recordsAt } from './reader';

export interface TopicSummary {
  topic: string;
  partitions: number;
  messages: number;
  retentionMs: number | null;
  cleanupPolicy: string | null;
}

export interface PartitionDetail {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  low: string;
  high: string;
  messages: number;
}

export interface GroupPartitionLag {
  partition: number;
  committed: string | null;
  high: string;
  lag: number;
  /** Age of the oldest unread record: now minus its timestamp. */
  lagSeconds: number | null;
  /** How long records have waited behind a committed offset that has not moved; null when caught up or unknown. */
  stalledSeconds: number | null;
  stalled: boolean;
}

export interface GroupLag {
  groupId: string;
  state: string;
  members: number;
  lag: number;
  /** The worst partition: the age of the oldest record the group has yet to read. */
  lagSeconds: number | null;
  /** Some partition has had records waiting behind an unmoved committed offset for the stall time. */
  stalled: boolean;
  partitions: GroupPartitionLag[];
}

export interface TopicDetail extends TopicSummary {
  partitionDetails: PartitionDetail[];
  groups: GroupLag[];
  /** The stall time the groups were judged by. */
  stallAfterSeconds: number;
}

/** Commits read from the tail of a group's `__consumer_offsets` partition (the newest ones matter). */
const COMMIT_LOG_TAIL = 50_000n;

/**
 * Since when each group's committed offset on `topic` has stood still, from the coordinator's commit
 * log (`__consumer_offsets`, whose record timestamps are the commit times), keyed `group` → `partition`.
 * A commit older than the tail read is at least as old as the tail's first record.
 */
async function commitTimes(
  admin: Admin,
  kafka: Kafka,
  topic: string,
  groups: ReadonlyMap<string, ReadonlyMap<number, bigint>>,
): Promise<Map<string, Map<number, number>>> {
  const out = new Map<string, Map<number, number>>();
  if (!groups.size) return out;
  const [meta] = (await admin.fetchTopicMetadata({ topics: [OFFSETS_TOPIC] })).topics;
  const count = meta.partitions.length;
  const ends = new Map((await admin.fetchTopicOffsets(OFFSETS_TOPIC)).map((o) => [o.partition, o]));
  const partitions = new Set([...groups.keys()].map((g) => offsetsPartitionFor(g, count)));
  const ranges = [...partitions].flatMap((partition) => {
    const end = ends.get(partition);
    if (!end) return [];
    const low = BigInt(end.low);
    const high = BigInt(end.high);
    const from = high - COMMIT_LOG_TAIL > low ? high - COMMIT_LOG_TAIL : low;
    return from < high ? [{ partition, from, to: high, truncated: from > low }] : [];
  });
  const commits = new Map<string, { commit: OffsetCommit; timestampMs: number }[]>();
  const firstSeen = new Map<number, number>();
  await readRanges(
    kafka,
    OFFSETS_TOPIC,
    ranges,
    (partition, m) => {
      if (!firstSeen.has(partition)) firstSeen.set(partition, Number(m.timestamp));
      const commit = parseOffsetCommit(m.key, m.value);
      if (commit && commit.topic === topic && groups.has(commit.groupId)) {
        const list = commits.get(commit.groupId) ?? [];
        list.push({ commit, timestampMs: Number(m.timestamp) });
        commits.set(commit.groupId, list);
      }
      return 'continue';
    },
    { idleTimeoutMs: 30_000, allPartitions: [...ends.keys()] },
  );
  for (const [groupId, committed] of groups) {
    const home = offsetsPartitionFor(groupId, count);
    const truncated = ranges.find((r) => r.partition === home)?.truncated ?? false;
    const since = committedSince(commits.get(groupId) ?? []);
    const times = new Map<number, number>();
    for (const [partition, offset] of committed) {
      const seen = since.get(`${topic}:${partition}`);
      if (seen && seen.offset === offset) times.set(partition, seen.sinceMs);
      else if (!seen && truncated && firstSeen.has(home)) times.set(partition, firstSeen.get(home) ?? 0);
    }
    out.set(groupId, times);
  }
  return out;
}

async function configsOf(admin: Admin, topics: string[]): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  if (!topics.length) return out;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: ['retention.ms', 'cleanup.policy'],
    })),
  });
  for (const r of described.resources) {
    out.set(r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue])));
  }
  return out;
}

async function summaries(admin: Admin, topics: string[]): Promise<TopicSummary[]> {
  const configs = await configsOf(admin, topics);
  const metadata = await admin.fetchTopicMetadata({ topics });
  const out: TopicSummary[] = [];
  for (const t of metadata.topics) {
    const offsets = await admin.fetchTopicOffsets(t.name);
    const cfg = configs.get(t.name);
    const retention = cfg?.get('retention.ms');
    out.push({
      topic: t.name,
      partitions: t.partitions.length,
      messages: offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0),
      retentionMs: retention === undefined ? null : Number(retention),
      cleanupPolicy: cfg?.get('cleanup.policy') ?? null,
    });
  }
  return out.sort((a, b) => a.topic.localeCompare(b.topic));
}

/** Every topic but Kafka's own (`__consumer_offsets`): partitions, retained messages, retention. */
export async function listTopics(admin: Admin): Promise<TopicSummary[]> {
  const names = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
  return summaries(admin, names);
}

export async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  return (await admin.listTopics()).includes(topic);
}

/**
 * Offsets per partition, and every consumer group with offsets on the topic: lag in messages, lag in
 * seconds (the age of the oldest unread record) and whether it is stalled (records waiting behind a
 * committed offset that has not moved for `stallAfterMs`).
 */
export async function describeTopic(
  admin: Admin,
  kafka: Kafka,
  topic: string,
  stallAfterMs: number,
): Promise<TopicDetail> {
  const [summary] = await summaries(admin, [topic]);
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const offsets = await admin.fetchTopicOffsets(topic);
  const low = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  const high = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  const partitionDetails: PartitionDetail[] = metadata.topics[0].partitions
    .map((p) => ({
      partition: p.partitionId,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      low: String(low.get(p.partitionId) ?? 0n),
      high: String(high.get(p.partitionId) ?? 0n),
      messages: Number((high.get(p.partitionId) ?? 0n) - (low.get(p.partitionId) ?? 0n)),
    }))
    .sort((a, b) => a.partition - b.partition);

  const { groups: listed } = await admin.listGroups();
  const candidates = listed
    .filter(
      (g) =>
        (g.protocolType === 'consumer' || g.protocolType === '') && !g.groupId.startsWith(CLI_GROUP_PREFIX),
    )
    .map((g) => g.groupId);
  const committedByGroup = new Map<string, Map<number, bigint>>();
  for (const groupId of candidates) {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map((entry?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    if ([...committed.values()].some((o) => o >= 0n)) committedByGroup.set(groupId, committed);
  }

  // One read fetches the oldest unread record of every group.
  const wanted: { partition: number; offset: bigint }[] = [];
  for (const committed of committedByGroup.values()) {
    for (const [p, h] of high) {
      const next = nextUnread(committed.get(p) ?? -1n, low.get(p) ?? 0n, h);
      if (next !== null) wanted.push({ partition: p, offset: next });
    }
  }
  const records = wanted.length ? await recordsAt(kafka, topic, wanted, high) : new Map();
  const ts = (p: number, o: bigint | null) => {
    if (o === null) return null;
    const m = records.get(`${p}:${o.toString()}`);
    return m ? Number(m.timestamp) : null;
  };

  const since = await commitTimes(admin, kafka, topic, committedByGroup);
  const now = Date.now();

  const described = committedByGroup.size
    ? await admin.describeGroups([...committedByGroup.keys()])
    : { groups: [] };
  const groups: GroupLag[] = [...committedByGroup].map(([groupId, committed]) => {
    const partitions = [...high]
      .sort(([a], [b]) => a - b)
      .map(([p, h]) => {
        const c = committed.get(p) ?? -1n;
        const l = low.get(p) ?? 0n;
        const lag = lagMessages(c, l, h);
        const oldestUnread = ts(p, nextUnread(c, l, h));
        const stalledMs = stalledForMs(now, lag, since.get(groupId)?.get(p) ?? null, oldestUnread);
        return {
          partition: p,
          committed: c < 0n ? null : c.toString(),
          high: h.toString(),
          lag: Number(lag),
          lagSeconds: lagSeconds(now, oldestUnread, lag),
          stalledSeconds: stalledMs === null ? null : stalledMs / 1000,
          stalled: isStalled(stalledMs, stallAfterMs),
        };
      });
    const g = described.groups.find((d) => d.groupId === groupId);
    const seconds = partitions.map((p) => p.lagSeconds);
    return {
      groupId,
      state: g?.state ?? 'Unknown',
      members: g?.members.length ?? 0,
      lag: partitions.reduce((n, p) => n + p.lag, 0),
      lagSeconds: seconds.includes(null) ? null : Math.max(0, ...(seconds as number[])),
      stalled: partitions.some((p) => p.stalled),
      partitions,
    };
  });
  return {
    ...summary,
    partitionDetails,
    groups: groups.sort((a, b) => a.groupId.localeCompare(b.groupId)),
    stallAfterSeconds: stallAfterMs / 1000,
  };
}

/**
 * The groups `topics describe --fail-on-stall` judges. Named ones (`--group`), whatever their state;
 * otherwise the groups of the stages that read the topic and any group with members. A group nobody consumes in any more
 * (no members, not a stage's: a test's or a one-off reader's) keeps its committed offsets until Kafka
 * expires them; it is shown, STALLED if records wait, but does not fail the probe for a week.
 */
export function judgedGroups(
  groups: readonly GroupLag[],
  named: readonly string[],
  stageGroups: readonly string[],
): GroupLag[] {
  if (named.length) return groups.filter((g) => named.includes(g.groupId));
  return groups.filter((g) => stageGroups.includes(g.groupId) || g.members > 0);
}
