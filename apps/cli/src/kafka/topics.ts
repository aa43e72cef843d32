import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
import { lagMessages, lagSeconds, nextUnread } from './lag';
import { CLI_GROUP_PREFIX, recordsAt } from './reader';

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
  lagSeconds: number | null;
}

export interface GroupLag {
  groupId: string;
  state: string;
  members: number;
  lag: number;
  /** The worst partition: how many seconds of records the group has yet to read. */
  lagSeconds: number | null;
  partitions: GroupPartitionLag[];
}

export interface TopicDetail extends TopicSummary {
  partitionDetails: PartitionDetail[];
  groups: GroupLag[];
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

/** Offsets per partition, and every consumer group with offsets on the topic: lag in messages and in seconds. */
export async function describeTopic(admin: Admin, kafka: Kafka, topic: string): Promise<TopicDetail> {
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

  // One read fetches the newest record of every partition and the first unread record of every group.
  const wanted: { partition: number; offset: bigint }[] = [];
  for (const [p, h] of high) if (h > (low.get(p) ?? 0n)) wanted.push({ partition: p, offset: h - 1n });
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
        return {
          partition: p,
          committed: c < 0n ? null : c.toString(),
          high: h.toString(),
          lag: Number(lag),
          lagSeconds: lagSeconds(ts(p, h - 1n), ts(p, nextUnread(c, l, h)), lag),
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
      partitions,
    };
  });
  return { ...summary, partitionDetails, groups: groups.sort((a, b) => a.groupId.localeCompare(b.groupId)) };
}
