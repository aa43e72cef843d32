import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { MAX_AGE_YEARS, STAGES, SparkflowErrorCode, TOPIC_SPECS } from '@sparkflow/contracts';
import {
  contractIssues,
  identityIssue,
  correctedValue,
  EventProducer,
  originalValue,
  replayClock,
  replayDeadLetters,
  SparkflowException,
  type RecordPublisher,
  type ReplayResult,
} from '@sparkflow/kafka';
import { contextOf } from '../context';
import { CliError, UsageError } from '../errors';
import { cliKafka, explainKafkaError } from '../kafka/connection';
import {
  distinctDeadLetters,
  eventIdKey,
  failingOriginals,
  latestPerEvent,
  newestOf,
  originOf,
  placeOf,
  readDeadLetters,
  supersedingLetter,
  type DeadLetterFilter,
  type DeadLetterRecord,
} from '../kafka/dead-letters';
import { decodeValue, parseJsonExactly, valueAsJson } from '../kafka/records';
import { jsonText, visible } from '../output/output';
import { reasonWords } from '../output/reasons';
import { deadLetterStats } from '../pipeline/dead-letter-stats';
import {
  SINCE_FORMS,
  parseBatchFilter,
  parsePositiveInt,
  parseSince,
  parseStage,
  parseUuid,
} from './options';

interface FilterOptions {
  stage?: string;
  since?: string;
  batch?: string;
}

/**
 * What is read of users.dlq for these options: every stage, as an event's newest dead letter is found
 * before `--stage` is applied (`latestPerEvent`).
 */
const filterOf = (o: FilterOptions, eventIds?: string[]): DeadLetterFilter => ({
  since: o.since === undefined ? undefined : parseSince(o.since),
  batchId: o.batch,
  eventIds,
});

const parseDlqEventId = (name: string) => parseUuid(name, "a dead letter's event id (from `dlq list`)");

const stageOption = () =>
  new Option('--stage <stage>', `only dead letters of this stage: ${STAGES.join(', ')}`).argParser(
    parseStage,
  );

const reasonsText = (d: DeadLetterRecord) =>
  d.deadLetter.reasons.map((r) => (r.path ? `${r.code} ${r.path}` : r.code)).join('; ');

/** The bytes a UTF-8 byte-order mark (U+FEFF) takes at the start of a file. */
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('inspect and replay dead letters (users.dlq)');

  dlq
    .command('list')
    .description('dead letters with their stage, origin and reasons, oldest first')
    .addOption(stageOption())
    .option('--since <time>', `failed since ${SINCE_FORMS} (default: any time, the whole topic is read)`)
    .option('--batch <batchId>', 'only dead letters of this batch', parseBatchFilter)
    .option('--limit <n>', 'show the newest n of those that match', parsePositiveInt('--limit'), 100)
    .option(
      '--superseded',
      'list the superseded dead letters too (older letters of events dead-lettered again), each with the ' +
        'newer letter that supersedes it',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow dlq list --since 1h --stage enrichment
  $ sparkflow dlq list --batch backfill-sparkflow-2026-11-01 --limit 20
  $ sparkflow dlq list --since 1d --superseded

An event is listed once, by its newest dead letter, as \`dlq replay\` selects it; its older letters (left by
replays that failed again) are superseded, counted on stderr and left out. --superseded lists them too,
marked: a SUPERSEDED BY column with the newer letter's id (with --json every row has "supersededBy", null
for an event's newest letter, else {dlqEventId, failedAt, stage, partition, offset} of the newer one).`,
    )
    .action(async (opts: FilterOptions & { limit: number; superseded?: boolean }, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const read = await readDeadLetters(cfg, cliKafka(cfg), filterOf(opts)).catch((e: unknown) =>
        explainKafkaError(cfg, e),
      );
      const { unreadable } = read;
      // An event is listed once, by its newest dead letter; a dead letter written twice, by its first record.
      const {
        letters,
        superseded,
        repeated,
        newestOf: newestOfEvent,
      } = latestPerEvent(read.records, opts.stage);
      // With --superseded, the older letters too, in the order read, each marked with its event's newest.
      const order = new Map(read.records.map((r, i) => [r, i]));
      const listed = (opts.superseded ? [...letters, ...superseded] : letters)
        .sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))
        .map((d) => ({ ...d, supersededBy: supersededByOf(d, newestOfEvent(d)) }));
      const { records, cut } = newestOf(listed, opts.limit);
      // On stderr, so a script reading the list still gets a list.
      if (superseded.length && !opts.superseded) out.note(supersededNote(superseded.length));
      if (repeated.length) out.note(repeatedNote(repeated));
      if (cut) out.note(cut);
      if (out.json) return out.data(records);
      if (unreadable)
        out.note(
          out.paint('yellow', `${unreadable} record(s) of users.dlq are not dead letters and were skipped`),
        );
      if (!records.length) return out.note('no dead letters match');
      out.table(records, [
        { header: 'DLQ EVENT ID', value: (d) => d.dlqEventId },
        { header: 'FAILED AT', value: (d) => d.deadLetter.failedAt },
        { header: 'STAGE', value: (d) => d.deadLetter.stage, style: () => 'yellow' },
        {
          header: 'ORIGIN',
          value: (d) => originOf(d.deadLetter),
        },
        { header: 'KEY', value: (d) => d.deadLetter.key },
        { header: 'REASONS', value: reasonsText, style: () => 'red' },
        ...(opts.superseded
          ? [{ header: 'SUPERSEDED BY', value: (d: (typeof records)[number]) => d.supersededBy?.dlqEventId }]
          : []),
      ]);
    });

  dlq
    .command('stats')
    .description('dead letters counted by stage and by reason code, with the fields each reason named most')
    .option('--since <time>', `failed since ${SINCE_FORMS}`, '1h')
    .addOption(stageOption())
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow dlq stats --since 24h
  $ sparkflow dlq stats --stage enrichment --json | jq '.reasons[0]'

An event is counted once, by its newest dead letter; its older letters (left by replays that failed again)
are superseded: stderr says how many, and --json has the number as "superseded" (not part of "total").`,
    )
    .action(async (opts: FilterOptions, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const since = parseSince(opts.since ?? '1h');
      const { records, unreadable } = await readDeadLetters(cfg, cliKafka(cfg), {
        ...filterOf(opts),
        since,
      }).catch((e: unknown) => explainKafkaError(cfg, e));
      // An event is counted once, by its newest dead letter; a dead letter written twice, once.
      const { letters, superseded, repeated } = latestPerEvent(records, opts.stage);
      if (superseded.length) out.note(supersededNote(superseded.length));
      if (repeated.length) out.note(repeatedNote(repeated));
      const stats = deadLetterStats(letters);
      // `superseded`: the older letters passed over, which `total` does not count (the stderr note's number).
      if (out.json)
        return out.data({
          since: new Date(since).toISOString(),
          unreadable,
          superseded: superseded.length,
          ...stats,
        });
      if (unreadable)
        out.note(
          out.paint('yellow', `${unreadable} record(s) of users.dlq are not dead letters and were skipped`),
        );
      if (!stats.total) return out.note(`no dead letters since ${new Date(since).toISOString()}`);
      out.fields([
        ['since', new Date(since).toISOString()],
        ['dead letters', stats.total],
        ...Object.entries(stats.byStage).map(([stage, n]) => [`  ${stage}`, n] as const),
      ]);
      out.line();
      out.table(stats.reasons, [
        { header: 'STAGE', value: (r) => r.stage, style: () => 'yellow' },
        { header: 'REASON', value: (r) => r.code, style: () => 'red' },
        { header: 'COUNT', value: (r) => r.count, align: 'right' },
        { header: 'LAST', value: (r) => r.lastFailedAt },
        { header: 'FIELDS', value: (r) => r.paths.join(', ') },
      ]);
    });

  dlq
    .command('show')
    .description('one dead letter in full: reasons, origin and the original record decoded')
    .argument(
      '<dlqEventId>',
      'the event id of the users.dlq record (first column of `dlq list`)',
      parseDlqEventId('<dlqEventId>'),
    )
    .option(
      '--original',
      'print only the original record value, ready to edit and pass to `dlq replay --payload-file` ' +
        '(with --json, one JSON object saying what the value is, below)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow dlq show 3f0c2a9e-8d1b-4c5e-9a7f-2b6d4e8c1a03
  $ sparkflow dlq show 3f0c2a9e-8d1b-4c5e-9a7f-2b6d4e8c1a03 --original > fixed.json
  $ sparkflow dlq show 3f0c2a9e-8d1b-4c5e-9a7f-2b6d4e8c1a03 --original --json | jq .kind

--original --json prints the original as one JSON object, whatever its bytes:
  {"kind":"json","json":<value>}      the value is JSON (a scalar too), its numbers as written
  {"kind":"text","text":"<text>"}     it is UTF-8 but not JSON (an empty value included)
  {"kind":"base64","base64":"<b64>"}  it is not UTF-8: its bytes in base64

A dead letter is superseded when its event failed again since (a replay dead-lettered anew): the newer
letter is the one \`dlq list\`, \`stats\` and \`replay\` take. \`dlq show\` reads the letters that failed since
the one shown to tell, says so on stderr, shows "superseded by" with the newer letter's id, and with --json
has "supersededBy": {dlqEventId, failedAt, stage, partition, offset} (null when it is its event's newest).`,
    )
    .action(async (eventId: string, opts: { original?: boolean }, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const kafka = cliKafka(cfg);
      const { records } = await readDeadLetters(cfg, kafka, { eventIds: [eventId] }).catch((e: unknown) =>
        explainKafkaError(cfg, e),
      );
      const d = records[0];
      if (!d) throw new CliError(`no dead letter ${eventId} in users.dlq; \`sparkflow dlq list\` shows them`);
      // A newer letter of the same event supersedes this one: it is the one list, stats and replay take. Only
      // the letters that failed since this one are read; a letter naming no event is its own event's only one.
      const newer =
        d.deadLetter.originalEventId === null
          ? null
          : supersedingLetter(
              d,
              (
                await readDeadLetters(cfg, kafka, { since: Date.parse(d.deadLetter.failedAt) }).catch(
                  (e: unknown) => explainKafkaError(cfg, e),
                )
              ).records,
            );
      const supersededBy = supersededByOf(d, newer ?? d);
      if (newer)
        out.note(
          out.paint(
            'yellow',
            `dead letter ${d.dlqEventId} is superseded: event ${d.deadLetter.originalEventId} failed again since, ` +
              `as dead letter ${newer.dlqEventId} (${newer.deadLetter.failedAt}, ${newer.deadLetter.stage}), ` +
              'which `dlq list`, `stats` and `replay` take in its place',
          ),
        );
      // On stderr: a dead letter written twice is one dead letter, whose first record is shown.
      const [copies] = distinctDeadLetters(records).repeated;
      if (copies)
        out.note(
          `${copies.length} records of users.dlq hold dead letter ${eventId} (${copies.map(placeOf).join(', ')}); ` +
            `showing the first that failed, ${placeOf(d)}`,
        );
      const value = originalValue(d.deadLetter);
      const decoded = decodeValue(value);
      if (opts.original) {
        // With --json, one JSON value whatever the bytes: the original's JSON, else its text, else base64.
        if (out.json) return out.data(valueAsJson(value));
        if (decoded.kind === 'base64')
          throw new CliError('the original value is not UTF-8; `dlq show --json` has it as base64');
        const text = value.toString('utf8');
        try {
          return out.line(jsonText(parseJsonExactly(text), 2));
        } catch {
          // Not JSON: the bytes as they are for a pipe, their control characters escaped on a terminal.
          return out.line(out.options.tty ? visible(text) : text);
        }
      }
      if (out.json) return out.data({ ...d, supersededBy, original: decoded });
      out.fields([
        ['dlq event', `${d.dlqEventId} (users.dlq[${d.partition}]@${d.offset})`],
        ...(newer
          ? [
              [
                'superseded by',
                `${newer.dlqEventId} (${placeOf(newer)}), failed ${newer.deadLetter.failedAt} at ` +
                  newer.deadLetter.stage,
              ] as const,
            ]
          : []),
        ['stage', d.deadLetter.stage],
        ['failed at', d.deadLetter.failedAt],
        ['attempts', d.deadLetter.attempts],
        ['origin', originOf(d.deadLetter)],
        ['key', d.deadLetter.key],
        ['event id', d.deadLetter.originalEventId],
        ['batch id', d.deadLetter.originalBatchId],
        ['source', d.source],
      ]);
      out.line(out.paint('bold', 'reasons'));
      for (const r of d.deadLetter.reasons) out.line(`  ${reasonWords(r, (code) => out.paint('red', code))}`);
      out.line(out.paint('bold', `original (${d.deadLetter.payloadEncoding})`));
      const body = decoded.kind === 'envelope' ? { ...decoded.envelope, payload: decoded.payload } : decoded;
      for (const l of jsonText(body, 2).split('\n')) out.line(`  ${l}`);
    });

  dlq
    .command('replay')
    .description(
      're-publish dead letters to their original topic, under their original key, marked sparkflow-replay-of',
    )
    .option(
      '--event <dlqEventId...>',
      'replay these dead letters (their event ids, from `dlq list`)',
      (id: string, ids: string[] | undefined) => [...(ids ?? []), parseDlqEventId('--event')(id)],
    )
    .addOption(stageOption())
    .option('--since <time>', `dead letters that failed since ${SINCE_FORMS}`)
    .option('--batch <batchId>', 'dead letters of this batch', parseBatchFilter)
    .option('--all', 'every dead letter (a selector is required so a bare `replay` does nothing by accident)')
    .option(
      '--payload-file <file>',
      'with one --event: publish this corrected record value (JSON) instead of the original, as the ' +
        "event's newest version (its producedAt is the replay's time; event id, batch and source stay)",
    )
    .option(
      '--no-validate',
      "publish a record even when it fails its topic's contract (a corrected value, or an original one)",
    )
    .option('--dry-run', 'say what would be replayed, publish nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow dlq replay --stage persistence --since 1h --dry-run
  $ sparkflow dlq show 2f0c…e9 --original > fixed.json     # edit fixed.json, then:
  $ sparkflow dlq replay --event 2f0c…e9 --payload-file fixed.json

What is checked before anything is published (exit 2 for a --payload-file, exit 1 for originals): that
the record is JSON and meets its topic's contract (users.raw: the RawUserEvent schema, i.e. the envelope and
the person's fields, their types and formats), and that a --payload-file's record is no larger than its
topic takes (max.message.bytes). Enrichment's own rules are not checked here: a date of birth
in the future or more than ${MAX_AGE_YEARS} years ago, a registration date outside the same bounds or before the
birth, blank,
over-long or control-character text, an e-mail that is not one address, a nationality that is not two
letters, or text UTF-8 cannot carry. A correction that breaks one of them is published (exit 0) and comes
back as a new dead letter naming the field (\`sparkflow dlq list --since 5m\`).

Each original event is replayed once, by its newest dead letter of those selected: the older ones (left by
earlier replays that failed again) are passed over and counted on stderr, so an event replayed again
unfixed gains one dead letter per round. \`dlq list\` and \`dlq stats\` count events the same way.

An original is published byte for byte: replaying it again changes no cell. A correction is stamped with
the time of the replay, so the last one replayed is what Cassandra keeps, whole — also over a version of
the person ingested after the dead letter (\`sparkflow users get <userId>\` shows the current row).`,
    )
    .action(async (opts: ReplayOptions, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      if (!opts.event?.length && !opts.stage && !opts.since && !opts.batch && !opts.all) {
        throw new UsageError(
          'say which dead letters to replay: --event, --stage, --since, --batch, or --all',
        );
      }
      let corrected: Buffer | null = null;
      if (opts.payloadFile !== undefined) {
        if (opts.event?.length !== 1)
          throw new UsageError('--payload-file replaces one record: give exactly one --event');
        try {
          corrected = readFileSync(opts.payloadFile);
        } catch (err) {
          throw new UsageError(`--payload-file: cannot read ${opts.payloadFile}: ${(err as Error).message}`);
        }
        // Editors on some systems save UTF-8 with a byte-order mark, which is no part of the JSON it holds.
        if (corrected.subarray(0, 3).equals(UTF8_BOM)) {
          corrected = corrected.subarray(3);
          out.note(
            `--payload-file: ${opts.payloadFile} starts with a UTF-8 byte-order mark, left out of the record`,
          );
        }
      }
      const kafka = cliKafka(cfg);
      const read = await readDeadLetters(cfg, kafka, filterOf(opts, opts.event)).catch((e: unknown) =>
        explainKafkaError(cfg, e),
      );
      // An event is replayed once, by its newest dead letter of those selected; one written twice, once.
      const { letters: records, superseded, repeated } = latestPerEvent(read.records, opts.stage);
      const passedOver = repeated.reduce((n, copies) => n + copies.length - 1, 0);
      const missing = (opts.event ?? []).filter(
        (id) =>
          !read.records.some(
            (r) =>
              eventIdKey(r.dlqEventId) === eventIdKey(id) &&
              (opts.stage === undefined || r.deadLetter.stage === opts.stage),
          ),
      );
      if (missing.length) throw new CliError(`no dead letter ${missing.join(', ')} in users.dlq`);
      // A cut payload is not the record: replaying it would publish a different, broken value.
      const truncated = corrected ? [] : records.filter((r) => r.deadLetter.payloadTruncated);
      if (truncated.length) {
        throw new CliError(
          `${truncated.length} dead letter(s) keep only the beginning of their record, which was too large for users.dlq:\n` +
            truncated
              .map(
                (r) =>
                  `  ${r.dlqEventId}: ${r.deadLetter.payloadBytes ?? '?'} bytes, sha256 ${r.deadLetter.payloadSha256 ?? '?'}`,
              )
              .join('\n') +
            '\nreplay each with --event <id> --payload-file <corrected value>',
        );
      }
      // An original that fails its topic's contract would only be dead-lettered again: it needs correcting.
      const failing = corrected || opts.validate === false ? [] : failingOriginals(records);
      if (failing.length) {
        throw new CliError(
          `${failing.length} dead letter(s) hold a record that fails its topic's contract and would be dead-lettered again:\n` +
            failing
              .slice(0, 20)
              .map((f) => `  ${f.dlqEventId}: ${f.issues.slice(0, 3).join('; ')}`)
              .join('\n') +
            (failing.length > 20 ? `\n  … and ${failing.length - 20} more` : '') +
            '\nreplay each with --event <id> --payload-file <corrected value>, or leave them out ' +
            '(--no-validate publishes them anyway)',
        );
      }
      // Not even --no-validate publishes a correction that is about another person.
      const identity = corrected ? identityIssue(records[0], corrected) : null;
      if (identity) throw new UsageError(`the corrected record ${identity}`);
      if (corrected && opts.validate !== false) {
        const issues = contractIssues(
          records[0].deadLetter.originalTopic,
          correctedValue(records[0], corrected, replayClock()),
        );
        if (issues.length) {
          throw new UsageError(
            `the corrected record would fail again:\n${issues.map((i) => `  ${i}`).join('\n')}\n(--no-validate publishes it anyway)`,
          );
        }
      }

      // Checked here when the topic is ours (its limit is in libs/contracts); the broker's refusal still is
      // explained below, as headers and the batch's framing count too.
      const topic = records[0]?.deadLetter.originalTopic;
      const limit = TOPIC_SPECS.find((t) => t.name === topic)?.maxMessageBytes;
      const bytes = corrected ? correctedValue(records[0], corrected, replayClock()).length : 0;
      if (corrected && limit !== undefined && bytes > limit)
        throw tooLarge(opts.payloadFile, topic, bytes, limit);

      // A dry run publishes nothing, so it makes no producer (nor connects one).
      const producer = opts.dryRun ? null : new EventProducer(kafka, cfg.producer);
      let replayed: ReplayResult[] = [];
      try {
        replayed = await replayDeadLetters(producer ?? PUBLISHES_NOTHING, records, {
          corrected,
          dryRun: opts.dryRun,
        });
      } catch (err) {
        if (corrected && err instanceof SparkflowException && err.code === SparkflowErrorCode.RecordTooLarge)
          throw tooLarge(opts.payloadFile, topic, bytes, limit);
        explainKafkaError(cfg, err);
      } finally {
        await producer?.disconnect().catch(() => undefined);
      }

      if (superseded.length) out.note(supersededNote(superseded.length));
      if (passedOver)
        out.note(
          `${passedOver} record(s) of users.dlq repeat a dead letter already counted (written twice) and were passed over`,
        );
      if (out.json) return out.data({ dryRun: Boolean(opts.dryRun), replayed });
      if (!replayed.length) return out.note('no dead letters match; nothing replayed');
      out.table(replayed, [
        { header: 'DLQ EVENT ID', value: (r) => r.dlqEventId },
        {
          header: 'TO',
          value: (r) => (r.partition === null ? r.topic : `${r.topic}[${r.partition}]@${r.offset}`),
        },
        { header: 'KEY', value: (r) => r.key },
        { header: 'EVENT ID', value: (r) => r.eventId },
        { header: 'PRODUCED AT', value: (r) => r.producedAt },
        { header: 'VALUE', value: (r) => (r.corrected ? 'corrected' : 'original') },
      ]);
      out.note(
        opts.dryRun
          ? `${replayed.length} dead letter(s) would be replayed (dry run)`
          : `replayed ${replayed.length} dead letter(s)`,
      );
    });

  return dlq;
}

/** What a dry run hands `replayDeadLetters`, which never sends on a dry run. */
const PUBLISHES_NOTHING: RecordPublisher = {
  sendRecords: () => Promise.reject(new Error('a dry run publishes nothing')),
};

/** On stderr: how many records held a dead letter another record already holds, each counted once. */
function repeatedNote(repeated: readonly (readonly unknown[])[]): string {
  const extra = repeated.reduce((n, copies) => n + copies.length - 1, 0);
  return `${extra} record(s) of users.dlq repeat ${repeated.length} dead letter(s) written twice; each counts once`;
}

/**
 * What `dlq list` and `dlq show` say of a letter whose event's newest letter is `newest`: null when that is
 * the letter itself, else where the newer letter is and when and where it failed.
 */
function supersededByOf(d: DeadLetterRecord, newest: DeadLetterRecord) {
  if (newest === d) return null;
  const { dlqEventId, partition, offset, deadLetter } = newest;
  return { dlqEventId, failedAt: deadLetter.failedAt, stage: deadLetter.stage, partition, offset };
}

/** On stderr: how many older dead letters of events that failed again were passed over for their newest. */
const supersededNote = (n: number): string =>
  `${n} older dead letter(s) of events dead-lettered again were passed over; each event counts once, by its newest`;

/** A corrected record Kafka does not take: the person's file to shrink, so a usage error naming it. */
export function tooLarge(file: string | undefined, topic: string, bytes: number, limit?: number): UsageError {
  return new UsageError(
    `--payload-file: ${file} makes a record of ${bytes} bytes, larger than ${topic} takes` +
      (limit === undefined ? '' : ` (max.message.bytes ${limit})`) +
      '; shorten the corrected value',
  );
}

interface ReplayOptions extends FilterOptions {
  event?: string[];
  all?: boolean;
  payloadFile?: string;
  validate?: boolean;
  dryRun?: boolean;
}
