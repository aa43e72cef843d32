import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as fc from 'fast-check';
import type { Consumer } from 'kafkajs';
import { DeadLetterEvent, PersistedEvent, TOPICS, type TopicName } from '@sparkflow/contracts';
import {
  type DeadLetterSeen,
  deadLetterProblem,
  deleteFromBroker,
  describeHostile,
  type HostileRecord,
  uniqueName,
} from '@sparkflow/testing';
import {
  API_KEY,
  AUDIT,
  AUDIT_HEADERS,
  INGESTION,
  cassandra,
  kafka,
  settings,
  userIdsPresent,
} from './pipeline-client';
import { PIPELINE_GROUPS } from './consumer-groups';

/**
 * The machinery of the hostile-input properties: fixed-seed runs bounded in time, the HTTP contract
 * every answer must keep, and the account every hostile record must end in (stored, or dead-lettered
 * for a reason about its own value that the audit shows; a valid person stored, never dead-lettered),
 * checked against the real topics, Cassandra and the audit API.
 */

// Test-run settings, not service settings: read here once, like libs/testing reads the stack's.
const env = process.env;
/** `SPARKFLOW_PROPERTY_SEED` replays a run; every property prints the seed it used. */
export const SEED = Number(env['SPARKFLOW_PROPERTY_SEED'] ?? 20261130);
/** `SPARKFLOW_PROPERTY_PATH` (with `-t` selecting one property) replays one counterexample. */
export const REPLAY_PATH = env['SPARKFLOW_PROPERTY_PATH'];

/** How long one run may wait for its records to be accounted for and its partitions consumed. */
export const RUN_WAIT_MS = 20_000;
/** More for accepted batches: 2 ms a user (a pipeline slower than 500 users/s is slow), at most 100 s more. */
export const runWaitMs = (items: readonly Tracked[]): number =>
  RUN_WAIT_MS +
  Math.min(
    100_000,
    2 * items.reduce((n, t) => n + (t.type === 'batch' || t.type === 'backfill' ? t.accepted : 0), 0),
  );
/** One HTTP request's whole answer. */
export const REQUEST_TIMEOUT_MS = 30_000;

export const SERVICES = ['ingestion', 'enrichment', 'persistence', 'audit'] as const;

export function servicePids(): Record<string, string> {
  return Object.fromEntries(
    SERVICES.map((s) => {
      try {
        return [s, readFileSync(join(settings.SPARKFLOW_HOME, 'run', `${s}.pid`), 'utf8').trim()];
      } catch {
        return [s, 'no pid file'];
      }
    }),
  );
}

/** The pid of every service that is not the one it had at the start, or is not running at all. */
export function changedPids(before: Record<string, string>): string[] {
  const now = servicePids();
  return SERVICES.flatMap((s) => {
    const alive = isAlive(now[s]);
    if (now[s] !== before[s]) return [`${s}: pid ${before[s]} → ${now[s]}`];
    return alive ? [] : [`${s}: pid ${now[s]} is not running`];
  });
}

function isAlive(pid: string): boolean {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// HTTP

export interface Answer {
  route: string;
  status: number | null;
  retryAfter: string | null;
  json: unknown;
  text: string;
  /** Set when no HTTP answer came: a reset or refused connection, or a timeout. */
  error: string | null;
  ms: number;
}

export async function request(
  method: 'GET' | 'POST',
  base: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const route = `${method} ${path.replace(/\/v1\/(backfills|batches|events|users)\/.+?(\/history)?$/, '/v1/$1/:id$2')}`;
  const started = Date.now();
  const key = base === AUDIT ? AUDIT_HEADERS : { 'x-api-key': API_KEY };
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...key, ...headers },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      /* judged by httpViolation */
    }
    return {
      route,
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      json,
      text,
      error: null,
      ms: Date.now() - started,
    };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const error = `${(err as Error).name}: ${(err as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`;
    return {
      route,
      status: null,
      retryAfter: null,
      json: undefined,
      text: '',
      error,
      ms: Date.now() - started,
    };
  }
}

/** A path segment as a hostile client sends it: UTF-8 percent-encoded, lone surrogates as their raw 3-byte forms. */
export function encodeSegment(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(ch);
  }
  return out || '%20';
}

function namesProblem(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const { message, reasons, errors, error } = json as {
    message?: unknown;
    reasons?: unknown;
    errors?: unknown;
    error?: unknown;
  };
  const nonEmpty = (v: unknown) =>
    (typeof v === 'string' && v.trim() !== '') || (Array.isArray(v) && v.length > 0);
  return nonEmpty(message) || nonEmpty(reasons) || nonEmpty(errors) || nonEmpty(error);
}

/**
 * The contract of every answer: 2xx or 4xx with a JSON body (a 4xx naming the problem); 5xx only as
 * 503 with Retry-After (load shedding), or for `/v1/pulls` a 502/503/504 naming the upstream that
 * failed (the randomuser API is not the caller's fault); never a dropped connection or a timeout.
 */
export function httpViolation(a: Answer): string | null {
  if (a.error) return `${a.route}: no HTTP answer after ${a.ms} ms: ${a.error}`;
  const status = a.status as number;
  const body = `${status} ${a.text.slice(0, 300)}`;
  if (status >= 200 && status < 300)
    return typeof a.json === 'object' && a.json !== null
      ? null
      : `${a.route}: ${status} without a JSON body: ${body}`;
  if (status >= 400 && status < 500)
    return namesProblem(a.json)
      ? null
      : `${a.route}: ${status} without a JSON body naming the problem: ${body}`;
  if (status === 503 && a.retryAfter) return null;
  if (a.route === 'POST /v1/pulls' && [502, 503, 504].includes(status) && namesProblem(a.json)) return null;
  return `${a.route}: answered ${body}`;
}

/** What happened in the current property's runs (answers, accounts), printed with its result. */
const outcomes = new Map<string, number>();
export function note(what: string): void {
  outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
}

// ---------------------------------------------------------------------------------------------------
// What must be accounted for

/**
 * `mustStore` marks what is valid as generated (a person the contracts and enrichment accept, a batch of
 * the synthetic source): stored is its only account, a dead letter of it fails whatever its reason.
 */
export type Tracked =
  | { type: 'record'; record: HostileRecord; partition: number; offset: string }
  | { type: 'event'; eventId: string; via: string; mustStore: boolean }
  | { type: 'batch'; batchId: string; via: string; accepted: number; mustStore: boolean }
  | { type: 'backfill'; id: string; batchIds: string[]; accepted: number };

export function describeTracked(t: Tracked): string {
  switch (t.type) {
    case 'record':
      return `${t.record.topic}/${t.partition}@${t.offset} (${t.record.kind}) key=${describeHostile(t.record.key, 60)} value=${describeHostile(t.record.value, 160)} headers=${describeHostile(t.record.headers, 40)}`;
    case 'event':
      return `event ${t.eventId} ${t.mustStore ? '(a valid person) ' : ''}accepted by ${t.via}`;
    case 'batch':
      return `batch ${describeHostile(t.batchId)} ${t.mustStore ? '(valid people) ' : ''}accepted by ${t.via}`;
    case 'backfill':
      return `backfill ${t.id} (batches ${describeHostile(t.batchIds)})`;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

interface Letter extends DeadLetterSeen {
  /** Where the dead letter itself sits on users.dlq. */
  at: string;
  origin: string;
  originalEventId: string | null;
  originalBatchId: string | null;
  key: string | null;
}

const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * A users.dlq value as a letter: by the contract, or, when it breaks the contract (a code the enum does
 * not know, a field missing), by what it says, so that it is judged rather than passed over. Null when it
 * does not even say which stage failed what.
 */
export function letterOf(value: unknown, at: string): Letter | null {
  const strict = DeadLetterEvent.safeParse(value);
  const event = (strict.success ? strict.data : value) as {
    eventId?: unknown;
    payload?: Record<string, unknown> | null;
  } | null;
  const p = event?.payload;
  if (typeof event?.eventId !== 'string' || typeof p !== 'object' || p === null) return null;
  if (typeof p['stage'] !== 'string' || !Array.isArray(p['reasons'])) return null;
  return {
    at,
    eventId: event.eventId,
    stage: p['stage'],
    reasons: (p['reasons'] as { code?: unknown; message?: unknown; path?: unknown }[]).map((r) => ({
      code: String(r?.code),
      message: String(r?.message ?? ''),
      path: stringOrNull(r?.path),
    })),
    origin: `${String(p['originalTopic'])}/${String(p['partition'])}@${String(p['offset'])}`,
    originalEventId: stringOrNull(p['originalEventId']),
    originalBatchId: stringOrNull(p['originalBatchId']),
    key: stringOrNull(p['key']),
  };
}

/** An account that waiting cannot change: a record dead-lettered for a reason not about it, a valid one dead-lettered. */
class Failed {
  constructor(readonly why: string) {}
}

/** The groups that consume each topic (the services' default group ids). */
export const CONSUMERS = Object.fromEntries(
  Object.values(TOPICS).map((topic) => [
    topic,
    PIPELINE_GROUPS.filter((g) => g.topics.includes(topic)).map((g) => g.groupId),
  ]),
) as Record<TopicName, string[]>;

/**
 * Reads users.dlq from where it ended when the run began, and answers whether each tracked item is
 * accounted for. Dead letters that the test itself wrote onto users.dlq never count as accounts.
 */
export class Ledger {
  readonly tracked: Tracked[] = [];
  private readonly letters: Letter[] = [];
  private readonly ownDlqPositions = new Set<string>();
  private consumer: Consumer | null = null;
  private readonly groupId = uniqueName('e2e-hostile-dlq');
  private readonly db = cassandra();
  private readonly admin = kafka.admin();

  async start(): Promise<void> {
    await Promise.all([this.db.connect(), this.admin.connect()]);
    const ends = await this.admin.fetchTopicOffsets(TOPICS.usersDlq);
    const consumer = kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.usersDlq, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        let value: unknown;
        try {
          value = JSON.parse(message.value?.toString('utf8') ?? 'null');
        } catch {
          return;
        }
        const letter = letterOf(value, `${partition}@${message.offset}`);
        if (letter) this.letters.push(letter);
      },
    });
    for (const end of ends)
      consumer.seek({ topic: TOPICS.usersDlq, partition: end.partition, offset: end.high });
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.consumer?.disconnect(), this.db.shutdown(), this.admin.disconnect()]);
    if (this.consumer) await deleteFromBroker(kafka, { groups: [this.groupId], topics: [] });
  }

  track(item: Tracked): void {
    this.tracked.push(item);
    if (item.type === 'record' && item.record.topic === TOPICS.usersDlq)
      this.ownDlqPositions.add(`${item.partition}@${item.offset}`);
  }

  private lettersFor(match: (l: Letter) => boolean): Letter[] {
    return this.letters.filter((l) => !this.ownDlqPositions.has(l.at) && match(l));
  }

  /** The dead letters of an item: of its record or event, or of any event of its batches. */
  private lettersOf(t: Tracked): Letter[] {
    switch (t.type) {
      case 'record': {
        const origin = `${t.record.topic}/${t.partition}@${t.offset}`;
        const eventId = isUuid(t.record.eventId) ? t.record.eventId : null;
        return this.lettersFor(
          (l) => l.origin === origin || (eventId !== null && l.originalEventId === eventId),
        );
      }
      case 'event':
        return this.lettersFor((l) => l.originalEventId === t.eventId);
      case 'batch':
        return this.lettersFor((l) => l.originalBatchId === t.batchId);
      case 'backfill':
        return this.lettersFor((l) => l.originalBatchId !== null && t.batchIds.includes(l.originalBatchId));
    }
  }

  /**
   * Why the item's dead letters fail the run, or null: a valid item has none; any other item's dead
   * letters each come from a stage that read it as sent and give reasons about the record's own value
   * (`deadLetterProblem`), never a store, broker or unexplained failure.
   */
  private deadLetterFailure(t: Tracked): Failed | null {
    const letters = this.lettersOf(t);
    const mustStore = (t.type === 'event' || t.type === 'batch') && t.mustStore;
    // Events and batches came in through ingestion; a record was written straight onto its topic.
    const entry = t.type === 'record' ? t.record.topic : 'ingestion';
    const problems = letters.flatMap((l) => {
      const about = l.originalEventId ? ` (event ${l.originalEventId})` : '';
      if (mustStore)
        return [
          `valid, yet dead letter ${l.eventId}${about} (stage ${l.stage}) gives ${l.reasons
            .map(
              (r) => `${r.code}${r.path ? ` at ${r.path}` : ''}: ${JSON.stringify(r.message.slice(0, 300))}`,
            )
            .join('; ')}`,
        ];
      const problem = deadLetterProblem(l, entry);
      return problem ? [`${problem}${about}`] : [];
    });
    return problems.length ? new Failed(problems.join('\n  ')) : null;
  }

  /** Null when accounted for; otherwise what is missing, as a `Failed` when waiting cannot change it. */
  async unaccounted(t: Tracked): Promise<string | Failed | null> {
    const failure = this.deadLetterFailure(t);
    if (failure) return failure;
    switch (t.type) {
      case 'record':
        return this.recordUnaccounted(t);
      case 'event':
        return this.eventUnaccounted(t.eventId, t.mustStore);
      case 'batch':
        return this.batchUnaccounted(t.batchId, t.mustStore);
      case 'backfill': {
        const a = await request('GET', INGESTION, `/v1/backfills/${encodeSegment(t.id)}`);
        const backfill = a.json as
          { status?: string; error?: string; batches?: { batchId: string; produced: number }[] } | undefined;
        const status = backfill?.status;
        if (status !== 'produced' && status !== 'failed')
          return `backfill ${t.id} is ${status ?? a.error ?? a.status}`;
        if (status === 'failed' && !backfill?.error) return `backfill ${t.id} failed without saying why`;
        // A failed backfill accounts for what it produced; the days after the failure were never sent.
        for (const batch of (backfill?.batches ?? []).filter((b) => b.produced > 0)) {
          const missing = await this.batchUnaccounted(batch.batchId, false);
          if (missing) return missing;
        }
        return accounted('backfill produced, its batches complete');
      }
    }
  }

  private async recordUnaccounted(t: Extract<Tracked, { type: 'record' }>): Promise<string | null> {
    const { record } = t;
    const origin = `${record.topic}/${t.partition}@${t.offset}`;
    const letters = this.lettersFor(
      (l) => l.origin === origin || (isUuid(record.eventId) && l.originalEventId === record.eventId),
    );
    for (const letter of letters) {
      if (
        await this.auditHasReasons(isUuid(letter.originalEventId) ? letter.originalEventId : letter.eventId)
      )
        return accounted(`dead-lettered (${whyDeadLettered(letter)})`);
    }
    if (letters.length)
      return `dead-lettered (users.dlq ${letters.map((l) => l.at).join(', ')}) but the audit shows no reason for it`;

    if (
      (record.topic === TOPICS.usersRaw || record.topic === TOPICS.usersEnriched) &&
      isUuid(record.userId)
    ) {
      if ((await userIdsPresent(this.db, [record.userId.toLowerCase()])).size) return accounted('stored');
    }
    // Records the audit is the only consumer of are accounted for when it recorded them as they are.
    const value = parseJson(record.value);
    if (record.topic === TOPICS.usersDlq) {
      const d = DeadLetterEvent.safeParse(value);
      if (
        d.success &&
        (await this.auditHasReasons(
          isUuid(d.data.payload.originalEventId) ? d.data.payload.originalEventId : d.data.eventId,
        ))
      )
        return accounted('audited as a dead letter');
    }
    if (record.topic === TOPICS.usersPersisted) {
      const p = PersistedEvent.safeParse(value);
      if (
        p.success &&
        (await this.lineage(p.data.payload.enrichedEventId)).some((s) => s.topic === TOPICS.usersPersisted)
      )
        return accounted('audited as persisted');
    }
    return `neither stored in Cassandra nor dead-lettered with origin ${origin}${isUuid(record.eventId) ? ` or event id ${record.eventId}` : ''}`;
  }

  private async eventUnaccounted(eventId: string, mustStore: boolean): Promise<string | null> {
    const stages = await this.lineage(eventId);
    const persisted = stages.find((s) => s.topic === TOPICS.usersPersisted && isUuid(s.userId));
    if (persisted && (await userIdsPresent(this.db, [String(persisted.userId)])).size)
      return accounted(mustStore ? 'valid person stored' : 'stored');
    const [letter] = this.lettersFor((l) => l.originalEventId === eventId);
    if (!mustStore && stages.some(hasReasons) && letter)
      return accounted(`dead-lettered (${whyDeadLettered(letter)})`);
    return `event ${eventId}: audit stages ${JSON.stringify(stages.map((s) => s.outcome))}, ${this.lettersFor((l) => l.originalEventId === eventId).length} dead letters`;
  }

  private async batchUnaccounted(batchId: string, mustStore: boolean): Promise<string | Failed | null> {
    const a = await request('GET', AUDIT, `/v1/batches/${encodeSegment(batchId)}`);
    const counts = a.json as { complete?: boolean; deadLettered?: number } | undefined;
    if (a.status === 200 && counts?.complete === true) {
      // The audit's count catches a dead letter of a valid batch that users.dlq has not shown us yet.
      if (mustStore && counts.deadLettered !== 0)
        return new Failed(
          `batch ${describeHostile(batchId)} of valid people is complete with ${counts.deadLettered} dead-lettered`,
        );
      return accounted(mustStore ? 'valid batch stored' : 'batch complete');
    }
    return `batch ${describeHostile(batchId)}: the audit answered ${a.status ?? a.error} ${a.text.slice(0, 200)}`;
  }

  private async lineage(
    eventId: string,
  ): Promise<{ topic?: string; outcome?: string; userId?: unknown; reasons?: unknown }[]> {
    const a = await request('GET', AUDIT, `/v1/events/${eventId}`);
    return a.status === 200 ? ((a.json as { stages?: [] }).stages ?? []) : [];
  }

  private async auditHasReasons(eventId: string): Promise<boolean> {
    return (await this.lineage(eventId)).some(hasReasons);
  }

  /** Positions (topic/partition@offset) some consumer group has not committed past yet. */
  async unconsumed(records: Extract<Tracked, { type: 'record' }>[]): Promise<string[]> {
    const behind: string[] = [];
    for (const topic of new Set(records.map((r) => r.record.topic))) {
      for (const groupId of CONSUMERS[topic]) {
        const [offsets] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
        for (const r of records.filter((x) => x.record.topic === topic)) {
          const committed = Number(offsets.partitions.find((p) => p.partition === r.partition)?.offset ?? -1);
          if (committed <= Number(r.offset))
            behind.push(`${groupId} at ${topic}/${r.partition}@${committed} (record @${r.offset})`);
        }
      }
    }
    return behind;
  }

  /** Every partition of every topic each service's group reads, where the committed offset is short of the end. */
  async lagging(): Promise<string[]> {
    const behind: string[] = [];
    const groups = new Map<string, TopicName[]>();
    for (const [topic, ids] of Object.entries(CONSUMERS) as [TopicName, string[]][])
      for (const id of ids) groups.set(id, [...(groups.get(id) ?? []), topic]);
    for (const [groupId, topics] of groups) {
      for (const topic of topics) {
        const [offsets] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
        for (const end of await this.admin.fetchTopicOffsets(topic)) {
          const committed = Number(
            offsets.partitions.find((p) => p.partition === end.partition)?.offset ?? -1,
          );
          if (Number(end.high) > 0 && committed < Number(end.high))
            behind.push(`${groupId} ${topic}/${end.partition}: committed ${committed}, end ${end.high}`);
        }
      }
    }
    return behind;
  }

  /**
   * Waits (bounded) until every item is accounted for; returns what still is not, and at once what no
   * wait can mend (a dead letter failing a record for a reason not about it, a valid record dead-lettered).
   */
  async settle(items: readonly Tracked[], timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let pending = [...items];
    for (;;) {
      const results = await Promise.all(pending.map(async (t) => [t, await this.unaccounted(t)] as const));
      const failed = results.flatMap(([t, why]) =>
        why instanceof Failed ? [`${describeTracked(t)}: ${why.why}`] : [],
      );
      pending = results.filter(([, why]) => why !== null).map(([t]) => t);
      const waiting = results.flatMap(([t, why]) =>
        typeof why === 'string' ? [`${describeTracked(t)}: ${why}`] : [],
      );
      // A failure ends the wait; what was still pending then is listed, but was not waited for.
      if (failed.length)
        return [...failed, ...waiting.map((w) => `(still pending when that was found) ${w}`)];
      if (!pending.length || Date.now() > deadline) return waiting;
      await sleep(500);
    }
  }
}

/** A dead letter's stage and codes, as a property's summary counts them: which refusals a run exercised. */
const whyDeadLettered = (l: Letter): string =>
  `${l.stage} ${[...new Set(l.reasons.map((r) => r.code))].join('+')}`;

function accounted(how: string): null {
  note(`accounted: ${how}`);
  return null;
}

/** The property's own seed: the run's seed mixed with a hash of the property's name (FNV-1a). */
export function propertySeed(name: string): number {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ (c.codePointAt(0) as number), 0x01000193);
  return (SEED ^ h) | 0;
}

function hasReasons(s: { reasons?: unknown }): boolean {
  return Array.isArray(s.reasons) && s.reasons.length > 0;
}

function parseJson(v: Buffer | string | null): unknown {
  try {
    return JSON.parse(v === null ? 'null' : v.toString());
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Running a property

export interface Budget {
  numRuns: number;
  /** No new run starts after this; a run in progress finishes (its own waits are bounded). */
  timeLimitMs: number;
}

/**
 * Runs a property with the fixed seed, no shrinking (the stack is stateful: after a poison record
 * every later run fails too, so shrinking would minimise the wrong thing), and a time budget.
 * Fails with the seed, the path and a readable counterexample.
 */
export async function checkProperty<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  budget: Budget,
): Promise<void> {
  const softDeadline = Date.now() + budget.timeLimitMs;
  // Each property draws its own values from the one seed, so two properties never start from the same example.
  const seed = propertySeed(name);
  outcomes.clear();
  let executed = 0;
  const property = fc.asyncProperty(arb, async (value) => {
    if (Date.now() > softDeadline) return;
    executed++;
    await predicate(value);
  });
  const details = await fc.check(property, {
    seed,
    path: REPLAY_PATH,
    numRuns: budget.numRuns,
    endOnFailure: true,
    // The hard stop: a run still going this long after the budget is hung, whatever its own timeouts say.
    plugins: [
      fc.interruptAfterTimeLimit(budget.timeLimitMs + RUN_WAIT_MS + REQUEST_TIMEOUT_MS + 10_000, {
        failOnInterrupt: true,
      }),
    ],
  });
  const seen = [...outcomes].map(([what, n]) => `${what} ×${n}`).join(', ');
  const summary = `property "${name}": ${executed} run(s) from seed ${SEED} (its own seed ${seed}) [${seen}]`;
  if (!details.failed) {
    process.stdout.write(`${summary}, all passed\n`);
    return;
  }
  const error =
    details.errorInstance instanceof Error
      ? details.errorInstance.message
      : String(details.errorInstance ?? 'interrupted');
  throw new Error(
    `${summary} failed (SPARKFLOW_PROPERTY_SEED=${SEED} SPARKFLOW_PROPERTY_PATH=${details.counterexamplePath ?? ''} replays it)\n` +
      `counterexample: ${describeHostile(details.counterexample, 160)}\n${error}`,
  );
}
