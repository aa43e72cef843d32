import { Command, Option } from 'commander';
import type { KafkaMessage } from 'kafkajs';
import { contextOf, type Context } from '../context';
import { CliError } from '../errors';
import { cliKafka, explainKafkaError, withAdmin } from '../kafka/connection';
import { readRanges, type Directive, type PartitionRange } from '../kafka/reader';
import { searchableText, showRecord, type ShownRecord } from '../kafka/records';
import { describeTopic, judgedGroups, listTopics, topicExists } from '../kafka/topics';
import { humanDuration, jsonText, visible, type Output } from '../output/output';
import { stageReaders } from '../pipeline/stages';
import {
  SINCE_FORMS,
  parseOffsetSpec,
  parsePositiveInt,
  parseSince,
  parseText,
  parseTopic,
  repeatable,
} from './options';

interface DescribeOptions {
  stallAfter?: number;
  failOnStall?: boolean;
  group?: string[];
}

export function topicsCommand(): Command {
  const topics = new Command('topics').description('inspect Kafka topics: sizes, consumer lag, records');

  topics
    .command('list')
    .description('every topic with its partitions, retained messages and retention')
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow topics list
  $ sparkflow topics list --json | jq -r '.[] | select(.messages > 0) | .topic'`,
    )
    .action(async (_opts: object, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const rows = await withAdmin(cfg, cliKafka(cfg), (admin) => listTopics(admin));
      if (out.json) return out.data(rows);
      out.table(rows, [
        {
          header: 'TOPIC',
          value: (r) => r.topic,
          style: (r) => (r.topic.endsWith('.dlq') && r.messages > 0 ? 'yellow' : undefined),
        },
        { header: 'PARTITIONS', value: (r) => r.partitions, align: 'right' },
        { header: 'MESSAGES', value: (r) => r.messages, align: 'right' },
        {
          header: 'RETENTION',
          value: (r) => (r.retentionMs === null ? '-' : humanDuration(r.retentionMs)),
          align: 'right',
        },
        { header: 'CLEANUP', value: (r) => r.cleanupPolicy },
      ]);
    });

  topics
    .command('describe')
    .description(
      'per-partition offsets and every consumer group: lag in messages, lag in seconds (the age of the ' +
        'oldest unread record) and STALLED when records wait behind a committed offset that has not moved',
    )
    .argument('<topic>', 'the topic (`topics list` shows them)', parseTopic)
    .option(
      '--stall-after <seconds>',
      'a group with lag whose committed offset has not moved for this long is stalled ' +
        '(default: KAFKA_STALL_AFTER_S, 60)',
      parsePositiveInt('--stall-after'),
    )
    .option(
      '--fail-on-stall',
      'exit 1 when a judged group is stalled (for scripts and probes): the groups of the stages that read ' +
        'the topic and every group with members, or those named with --group; a group with no members left ' +
        'is shown only',
    )
    .addOption(
      // No default: commander would print an empty list as `(default: [])`.
      repeatable(
        new Option(
          '--group <groupId>',
          'show and judge only this group (repeat for more); a named group without offsets on the topic fails',
        ).argParser((id: string, ids: string[] | undefined) => [
          ...(ids ?? []),
          parseText('--group', true)(id),
        ]),
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow topics describe users.raw
  $ sparkflow topics describe users.enriched --group sparkflow-persistence --fail-on-stall

Exit codes: 0 shown (no judged group stalled, with --fail-on-stall), 1 Kafka down, no such topic, a named
group without offsets on it, or a judged group stalled with --fail-on-stall, 2 not a topic name.`,
    )
    .action(async (topic: string, { group = [], ...rest }: DescribeOptions, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const opts = { ...rest, group, stallAfter: rest.stallAfter ?? cfg.stallAfterSeconds };
      const kafka = cliKafka(cfg);
      const detail = await withAdmin(cfg, kafka, async (admin) => {
        if (!(await topicExists(admin, topic)))
          throw new CliError(`no topic "${topic}"; \`sparkflow topics list\` shows them`);
        return describeTopic(admin, kafka, topic, opts.stallAfter * 1000);
      });
      const missing = opts.group.filter((id) => !detail.groups.some((g) => g.groupId === id));
      if (missing.length)
        throw new CliError(`no committed offsets on ${topic} for group ${missing.join(', ')}`);
      if (opts.group.length) detail.groups = detail.groups.filter((g) => opts.group.includes(g.groupId));
      // A stage's group is judged on the topics it reads, not on one it has left offsets on.
      const stages = stageReaders(cfg)
        .filter((r) => r.topic === topic)
        .map((r) => r.groupId);
      const judged = judgedGroups(detail.groups, opts.group, stages);
      const stalled = judged.filter((g) => g.stalled);
      const failOnStall = () => {
        if (opts.failOnStall && stalled.length) {
          throw new CliError(
            `stalled on ${topic}: ${stalled
              .map(
                (g) =>
                  `${g.groupId} (partitions ${g.partitions
                    .filter((p) => p.stalled)
                    .map((p) => p.partition)
                    .join(', ')})`,
              )
              .join(
                '; ',
              )}: records wait behind committed offsets that have not moved for ${opts.stallAfter} s or more`,
          );
        }
      };
      if (out.json) {
        out.data(detail);
        return failOnStall();
      }
      out.fields([
        ['topic', detail.topic],
        ['partitions', detail.partitions],
        ['messages', detail.messages],
        ['retention', detail.retentionMs === null ? '-' : humanDuration(detail.retentionMs)],
        ['cleanup', detail.cleanupPolicy],
      ]);
      out.line();
      out.table(detail.partitionDetails, [
        { header: 'PARTITION', value: (p) => p.partition, align: 'right' },
        { header: 'LEADER', value: (p) => p.leader, align: 'right' },
        { header: 'LOW', value: (p) => p.low, align: 'right' },
        { header: 'HIGH', value: (p) => p.high, align: 'right' },
        { header: 'MESSAGES', value: (p) => p.messages, align: 'right' },
      ]);
      out.line();
      if (!detail.groups.length)
        return out.line(out.paint('dim', 'no consumer group has committed offsets on this topic'));
      out.table(
        detail.groups.flatMap((g) => g.partitions.map((p) => ({ g, p }))),
        [
          { header: 'GROUP', value: ({ g }) => g.groupId },
          { header: 'STATE', value: ({ g }) => g.state },
          { header: 'PARTITION', value: ({ p }) => p.partition, align: 'right' },
          { header: 'COMMITTED', value: ({ p }) => p.committed, align: 'right' },
          { header: 'HIGH', value: ({ p }) => p.high, align: 'right' },
          {
            header: 'LAG',
            value: ({ p }) => p.lag,
            align: 'right',
            style: ({ p }) => (p.lag > 0 ? 'yellow' : 'green'),
          },
          {
            header: 'LAG (s)',
            value: ({ p }) => (p.lagSeconds === null ? '?' : p.lagSeconds.toFixed(1)),
            align: 'right',
          },
          {
            header: 'STATUS',
            value: ({ p }) => (p.stalled ? 'STALLED' : p.lag > 0 ? 'lagging' : 'ok'),
            style: ({ p }) => (p.stalled ? 'red' : p.lag > 0 ? 'yellow' : 'green'),
          },
        ],
      );
      out.line();
      for (const g of detail.groups) {
        const worst = Math.max(0, ...g.partitions.map((p) => (p.stalled ? (p.stalledSeconds ?? 0) : 0)));
        out.line(
          `${out.paint('bold', g.groupId)}: ${g.lag} message(s) behind` +
            (g.lagSeconds === null || g.lag === 0
              ? ''
              : `, the oldest unread record is ${g.lagSeconds.toFixed(1)} s old`) +
            ` (${g.members} member(s), ${g.state})` +
            (g.stalled
              ? ` — ${out.paint('red', 'STALLED')}: committed offset unmoved for ${worst.toFixed(0)} s`
              : '') +
            (g.stalled && !judged.includes(g)
              ? out.paint('dim', ' (no members left: --fail-on-stall judges it only with --group)')
              : ''),
        );
      }
      failOnStall();
    });

  topics
    .command('tail')
    .description('print records: envelope, headers and payload (default: the newest --limit records)')
    .argument('<topic>', 'the topic (`topics list` shows them)', parseTopic)
    .addOption(
      new Option('--from-beginning', 'start at the oldest retained record').conflicts(['since', 'offset']),
    )
    .addOption(new Option('--since <time>', `start at records newer than ${SINCE_FORMS}`).conflicts('offset'))
    .option('--offset <partition:offset>', 'read one partition from an offset, e.g. 0:42', parseOffsetSpec)
    .option(
      '--limit <n>',
      'print at most n records (default 20; unlimited with --follow); from a start point, the first n of ' +
        "each partition's records in offset order, then ordered by time",
      parsePositiveInt('--limit'),
    )
    .option('-f, --follow', 'keep printing new records until Ctrl-C (or --limit)')
    .option('--key <key>', 'only records with this key', parseText('--key'))
    .option('--grep <text>', 'only records whose key, headers or value contain text', parseText('--grep'))
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow topics tail users.dlq --limit 5
  $ sparkflow topics tail users.raw --since 10m --grep @example.com
  $ sparkflow topics tail users.enriched --offset 3:1200 --limit 1 --json
  $ sparkflow topics tail users.persisted --follow

With --json: a JSON array, or one JSON object per line with --follow.`,
    )
    .action(async (topic: string, opts: TailOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      await tail(ctx, topic, opts);
    });

  return topics;
}

interface TailOptions {
  fromBeginning?: boolean;
  since?: string;
  offset?: { partition: number; offset: bigint };
  limit?: number;
  follow?: boolean;
  key?: string;
  grep?: string;
}

async function tail({ cfg, out }: Context, topic: string, opts: TailOptions): Promise<void> {
  const limit = opts.limit ?? (opts.follow ? Infinity : 20);
  const since = opts.since === undefined ? undefined : parseSince(opts.since);
  const at = opts.offset;
  const kafka = cliKafka(cfg);
  const { ranges, partitions } = await withAdmin(cfg, kafka, async (admin) => {
    if (!(await topicExists(admin, topic)))
      throw new CliError(`no topic "${topic}"; \`sparkflow topics list\` shows them`);
    const offsets = await admin.fetchTopicOffsets(topic);
    const partitions = offsets.map((o) => o.partition);
    const bySince = since === undefined ? null : await admin.fetchTopicOffsetsByTimestamp(topic, since);
    const ranges: PartitionRange[] = [];
    for (const o of offsets) {
      const low = BigInt(o.low);
      const high = BigInt(o.high);
      const to = opts.follow ? undefined : high;
      if (at) {
        if (at.partition !== o.partition) continue;
        ranges.push({ partition: o.partition, from: at.offset < low ? low : at.offset, to });
      } else if (opts.fromBeginning) {
        ranges.push({ partition: o.partition, from: low, to });
      } else if (bySince) {
        const found = bySince.find((b) => b.partition === o.partition);
        // Kafka answers -1 when no record is that new: start at the end.
        const from = found && BigInt(found.offset) >= 0n ? BigInt(found.offset) : high;
        ranges.push({ partition: o.partition, from, to });
      } else {
        // Default: the newest records. Filters may need to look further back, so they read everything.
        const back =
          opts.key || opts.grep || !Number.isFinite(limit) ? (opts.follow ? 0n : high - low) : BigInt(limit);
        ranges.push({ partition: o.partition, from: high - back > low ? high - back : low, to });
      }
    }
    if (at && !ranges.length)
      throw new CliError(`--offset: ${topic} has no partition ${at.partition} (it has ${partitions.length})`);
    return { ranges, partitions };
  });

  const matches = (r: ShownRecord) =>
    (opts.key === undefined || r.key === opts.key) &&
    (opts.grep === undefined || searchableText(r).includes(opts.grep));
  /** Reads the ranges and hands each record that passes the filters to `onMatch`; a Kafka failure is explained. */
  const readMatching = (
    onMatch: (r: ShownRecord, m: KafkaMessage) => Directive,
    readOpts: { signal?: AbortSignal; idleTimeoutMs?: number },
  ) =>
    readRanges(
      kafka,
      topic,
      ranges,
      (partition, m) => {
        const r = showRecord(topic, partition, m);
        return matches(r) ? onMatch(r, m) : 'continue';
      },
      { ...readOpts, allPartitions: partitions },
    ).catch((err: unknown) => explainKafkaError(cfg, err));

  if (opts.follow) {
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let printed = 0;
    try {
      await readMatching(
        (r) => {
          if (out.json) out.ndjson(r);
          else printRecord(out, r);
          printed++;
          return printed >= limit ? 'stop' : 'continue';
        },
        { signal: abort.signal },
      );
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return;
  }

  // Bounded read: collect, order by time, keep the newest `limit` (or the first `limit` from a start point).
  const explicitStart = opts.fromBeginning || since !== undefined || at !== undefined;
  const collector = boundedTail(limit, explicitStart);
  await readMatching(collector.onMatch, { idleTimeoutMs: 120_000 });
  const shown = collector.shown();
  if (out.json) return out.data(shown);
  if (!shown.length) out.note(out.paint('dim', `no records in ${topic} match`));
  for (const r of shown) printRecord(out, r);
}

/**
 * Collects a bounded tail's matches and picks what it shows, ordered by time: the newest `limit`, or from an
 * explicit start the first `limit`. From a start, each partition stops being read once it has given `limit`
 * matches (its offsets run forward in time, so later ones cannot be among the first `limit`), instead of
 * reading every partition to its end.
 */
export function boundedTail(limit: number, explicitStart: boolean) {
  const collected: { r: ShownRecord; m: KafkaMessage }[] = [];
  const perPartition = new Map<number, number>();
  return {
    onMatch(r: ShownRecord, m: KafkaMessage): Directive {
      collected.push({ r, m });
      if (!explicitStart) return 'continue';
      const n = (perPartition.get(r.partition) ?? 0) + 1;
      perPartition.set(r.partition, n);
      return n >= limit ? 'stop-partition' : 'continue';
    },
    shown(): ShownRecord[] {
      const sorted = [...collected].sort(
        (a, b) => Number(a.m.timestamp) - Number(b.m.timestamp) || a.r.partition - b.r.partition,
      );
      return (explicitStart ? sorted.slice(0, limit) : sorted.slice(-limit)).map((c) => c.r);
    },
  };
}

export function printRecord(out: Output, r: ShownRecord): void {
  out.line(
    `${out.paint('bold', `${r.topic}[${r.partition}]@${r.offset}`)}  ${out.paint('dim', r.timestamp)}  key=${out.paint('cyan', r.key ?? '-')}`,
  );
  const v = r.value;
  if (v.kind === 'envelope')
    out.fields(
      Object.entries(v.envelope).map(([k, x]) => [`envelope.${k}`, x]),
      '  ',
    );
  if (Object.keys(r.headers).length)
    out.fields(
      Object.entries(r.headers).map(([k, x]) => [`header ${k}`, x]),
      '  ',
    );
  const body =
    v.kind === 'envelope'
      ? jsonText(v.payload, 2)
      : v.kind === 'json'
        ? jsonText(v.json, 2)
        : v.kind === 'text'
          ? visible(v.text)
          : v.kind === 'base64'
            ? `(not UTF-8, base64) ${v.base64}`
            : '(empty)';
  out.line(`  ${out.paint('dim', 'payload')}`);
  for (const l of body.split('\n')) out.line(`    ${l}`);
  out.line();
}
