import { Seed, validSeed } from '../sources/seed';
import { batchIdFieldProblem } from '../sources/batch-id-fits';
import { randomUUID } from 'node:crypto';
import type { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import {
  backfillBatchId,
  formatEventTime,
  nameBasedEventId,
  SparkflowErrorCode,
  type RandomUser,
} from '@sparkflow/contracts';
import { generateUsers } from '@sparkflow/sources';
import { ingestInChunks, slices } from '../sources/ingest-in-chunks';
import { SparkflowException } from '@sparkflow/errors';
import { backfillStoreError } from './store-errors';
import { parseRequest, refusal, type BodyHeaders, type RequestOutcome } from '../request/request-outcome';
import type { FieldError } from '../push/parse-push-body';
import {
  bodyDigest,
  claimIdempotencyKey,
  formerBodyDigest,
  idempotencyScope,
  parseIdempotencyKey,
  type KeyRefusal,
  type KeyedPushStore,
} from '../push/idempotency-key';
import { z } from 'zod';

const isoDay = z.iso.date();
/** The most people a backfill makes per day: at one µs each, a past day's take at most its last 100 ms. */
export const BACKFILL_MAX_PER_DAY = 100_000;
const BACKFILL_ID = z.uuid();
const bothDays = (r: { from: string; to: string }) =>
  isoDay.safeParse(r.from).success && isoDay.safeParse(r.to).success;

// An unknown field (a misspelt `Seed`, `perday`) is refused, not left to a default.
const BackfillFields = z
  .strictObject({
    from: isoDay,
    to: isoDay,
    perDay: z.number().int().min(1).max(BACKFILL_MAX_PER_DAY),
    seed: Seed.default('sparkflow'),
    source: z.enum(['synthetic']).default('synthetic'),
  })
  // Range checks only speak when both ends are dates; a malformed end is already reported on its own.
  .refine((r) => !bothDays(r) || r.from <= r.to, { message: '`from` must not be after `to`', path: ['to'] })
  .refine((r) => !bothDays(r) || daysBetween(r.from, r.to).length <= 366, {
    message: 'at most 366 days per backfill',
    path: ['to'],
  });

/**
 * A backfill as it was stored, read back: a request stored before seeds were checked against the batch-id
 * limit (below) is still read, so its backfill is still answered and worked.
 */
const StoredBackfillRequest = BackfillFields;

/** `POST /v1/backfills`'s body: also refused when the batch ids its seed names would not fit the audit's limit. */
export const BackfillRequest = BackfillFields
  // Every day's batch id, backfill-<seed>-<YYYY-MM-DD>, has the same length: one stands for them all.
  .superRefine(({ seed }, ctx) => {
    if (!validSeed(seed)) return; // already named
    const problem = batchIdFieldProblem(
      backfillBatchId(seed, '2000-01-01'),
      'seed',
      seed,
      'backfill-<seed>-<day>',
    );
    if (problem) ctx.addIssue({ code: 'custom', path: ['seed'], message: problem });
  });
export type BackfillRequest = z.infer<typeof BackfillRequest>;

export interface BackfillBatch {
  day: string;
  batchId: string;
  expected: number;
  produced: number;
}

/**
 * `running` until it ends: `produced` (every batch produced), `failed` (an error kept coming back) or
 * `cancelled` (`DELETE /v1/backfills/:id`, ADR 22). None of the three ever changes.
 */
export type BackfillStatus = 'running' | 'produced' | 'failed' | 'cancelled';

export interface Backfill {
  id: string;
  request: BackfillRequest;
  status: BackfillStatus;
  /** How many times a replica took it up: 1 for its start, one more for each takeover after a crash or error. */
  attempts: number;
  /** When it was requested (ISO, whole milliseconds). */
  requestedAt: string;
  /**
   * The first and the last of its people's event times (ISO, microseconds; `backfillEventTime`), both
   * included: every event it produces, now or after a takeover, falls between them.
   */
  eventTimes: { first: string; last: string };
  batches: BackfillBatch[];
  error?: string;
}

/**
 * Where backfills live so that every ingestion replica reads them and one works each: a lease per backfill
 * (`@sparkflow/backfill-store` keeps them in PostgreSQL).
 */
export interface BackfillRepository {
  readonly owner: string;
  readonly leaseSeconds: number;
  /** Stores a new backfill leased to this replica: true; false, storing nothing, when its id is already stored. */
  create(b: {
    id: string;
    request: unknown;
    requestedAt: Date;
    batches: readonly Omit<BackfillBatch, 'produced'>[];
  }): Promise<boolean>;
  get(id: string): Promise<StoredBackfill | null>;
  /**
   * The backfills still producing, the oldest request first, at most `limit`: the running ones, and the
   * cancelled ones whose holder has neither recorded the chunk it had in flight nor released them (for at
   * most `leaseSeconds` after the cancel), with their status as stored; `more` when more than `limit` are.
   * Given `days`, only those with a batch on a day in it, `limit` and `more` applying to them alone.
   */
  running(limit: number, days?: BackfillDays): Promise<{ backfills: StoredBackfill[]; more: boolean }>;
  claimExpired(): Promise<StoredBackfill | null>;
  /**
   * False when the lease is lost or the backfill was cancelled (whose progress is still recorded by its
   * holder, which then no longer holds it: the backfill leaves `running`).
   */
  recordProgress(id: string, position: number, produced: number): Promise<boolean>;
  /**
   * False when another replica holds it or it was cancelled; a cancelled one this replica has not let go is
   * renewed all the same, so it stays listed while its chunk in flight is slow to land.
   */
  renew(id: string): Promise<boolean>;
  /** Cancels a running backfill, whoever holds it: true when this call did; false when it is not running. */
  cancel(id: string): Promise<boolean>;
  finish(id: string, status: 'produced' | 'failed', error?: string | null): Promise<boolean>;
  /** Gives up this replica's lease; on a backfill cancelled while it held it, lets it leave `running`. */
  release(id: string): Promise<boolean>;
}

/**
 * Days a listing of running backfills is kept to (`GET /v1/backfills?status=running&from=…&to=…`): ISO days,
 * both included, an absent end no bound. A backfill's events fall on its batches' days (ADR 25), so one
 * with no batch in them produces none of their events.
 */
export interface BackfillDays {
  from?: string;
  to?: string;
}

/** The most backfills `GET /v1/backfills?status=running` lists, the oldest requests. */
export const RUNNING_BACKFILLS_LISTED = 100;

export interface RunningBackfills {
  backfills: Backfill[];
  /** More backfills are still producing than RUNNING_BACKFILLS_LISTED: the newer ones are left out. */
  truncated: boolean;
}

export interface StoredBackfill {
  id: string;
  request: unknown;
  status: Backfill['status'];
  error: string | null;
  attempts: number;
  requestedAt: Date;
  batches: BackfillBatch[];
}

export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let d = new Date(`${from}T00:00:00Z`);
    d <= new Date(`${to}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1)
  ) {
    days.push(d.toISOString().slice(0, 10));
  }
  return days;
}

export { backfillBatchId };

/**
 * The event id of a backfill batch's `index`-th person: the same each time this backfill produces them (a
 * chunk produced again after a crash is counted once), another for another backfill of the same days (a
 * rerun is a new set of events, as the audit and Airflow's count of "this run" expect).
 */
export const backfillEventId = (backfillId: string, batchId: string, index: number) =>
  nameBasedEventId(`sparkflow-backfill-event:${backfillId}:${batchId}:${index}`);

const DAY_MICROS = 86_400_000_000n;
const dayEndMicros = (day: string) => BigInt(Date.parse(`${day}T00:00:00.000Z`)) * 1000n + DAY_MICROS;

/**
 * The event time, in microseconds, of the `index`-th person of a backfill's batch for `day`: what persistence
 * writes every Cassandra cell at and takes `event_day` (the day the daily aggregation counts a person on) from.
 * - **A day that ended before the backfill was requested**: the last `perDay` µs of that day, one per person in
 *   order. The events land on the day they stand for, after every registration of it (`backfillRegisteredBy`),
 *   so a backfill of last month is counted on last month's days, and a person already seen since keeps their
 *   newer version.
 * - **The day it was requested on**, which has not ended: from the request's time on, one µs each, or from
 *   `perDay` µs before the day's end when the request came later than that, so that none spills into the next
 *   day. That day's people register no later than their first event.
 *
 * It never comes from the clock at production: a chunk produced again after a crash must be written at the
 * same time as the first time, or it would be written over a push of the same person made since, or into the
 * next day's partition past midnight. A rerun of a past day (the same seed: the same people) is stamped at the
 * same times as the first run, so it rewrites the same cells.
 */
export function backfillEventTime(requestedAt: Date, day: string, perDay: number, index: number): bigint {
  const end = dayEndMicros(day);
  const requested = BigInt(requestedAt.getTime()) * 1000n;
  const last = end - BigInt(perDay);
  return (end <= requested || last < requested ? last : requested) + BigInt(index);
}

/**
 * The latest registration a backfill's people of `day` may have, so that none registers after their event,
 * which enrichment refuses. A past day's: 100 ms before its end (before the last BACKFILL_MAX_PER_DAY µs, where
 * its events are), whatever `perDay` is, so the same seed and day make the same people in any backfill. The
 * request's own day's: the batch's first event time (whole ms, rounded down), at the latest the request.
 */
export function backfillRegisteredBy(requestedAt: Date, day: string, perDay: number): Date {
  const end = dayEndMicros(day);
  if (end <= BigInt(requestedAt.getTime()) * 1000n)
    return new Date(Number((end - BigInt(BACKFILL_MAX_PER_DAY)) / 1000n));
  return new Date(Number(backfillEventTime(requestedAt, day, perDay, 0) / 1000n));
}

/** The first and the last event time of a backfill's people, ISO with microseconds. */
export function backfillEventTimes(
  requestedAt: Date,
  request: Pick<BackfillRequest, 'from' | 'to' | 'perDay'>,
): Backfill['eventTimes'] {
  const times = daysBetween(request.from, request.to).flatMap((day) => [
    backfillEventTime(requestedAt, day, request.perDay, 0),
    backfillEventTime(requestedAt, day, request.perDay, request.perDay - 1),
  ]);
  const [first, last] = times.reduce(
    ([lo, hi], t) => [t < lo ? t : lo, t > hi ? t : hi],
    [times[0], times[0]],
  );
  return { first: formatEventTime(first), last: formatEventTime(last) };
}

/**
 * People `from`..`from + count - 1` of one backfill day, registered no later than `registeredBy`
 * (`backfillRegisteredBy`); the same arguments always give the same people.
 */
export type DayGenerator = (
  seed: string,
  day: string,
  from: number,
  count: number,
  registeredBy: Date,
) => RandomUser[];

/** The people of a backfill day: seeded by the backfill's seed and the day, registered on that day. */
export const backfillPeople: DayGenerator = (seed, day, from, count, registeredBy) =>
  generateUsers({ seed: `${seed}-${day}`, from, count, day, registeredBy: registeredBy.getTime() });

/**
 * The first day a backfill may cover: its events are stamped on their day, and SparkFlow stores no event time
 * before the epoch (`eventTimeProblem`). Every person `backfillPeople` makes is 21 to 77 years old on their day,
 * well inside what enrichment takes (MAX_AGE_YEARS), whatever the day.
 */
export const EARLIEST_BACKFILL_DAY = '1970-01-01';

/**
 * The days, both included, a backfill requested at `requestedAt` may cover: from EARLIEST_BACKFILL_DAY to the
 * day of `requestedAt` (UTC). A later day's people would register, and be stamped, in the future.
 */
export function backfillDayRange(requestedAt: Date): { earliest: string; latest: string } {
  return { earliest: EARLIEST_BACKFILL_DAY, latest: requestedAt.toISOString().slice(0, 10) };
}

/** Each end of the request outside `backfillDayRange`, named (400): its people could not all be enriched. */
export function backfillDayErrors(request: BackfillRequest, requestedAt: Date): FieldError[] {
  const { earliest, latest } = backfillDayRange(requestedAt);
  const errors: FieldError[] = [];
  for (const field of ['from', 'to'] as const) {
    const day = request[field];
    if (day > latest) {
      errors.push({
        path: field,
        message: `${day} is after today (${latest} UTC): its people would register in the future, which enrichment refuses`,
      });
    } else if (day < earliest) {
      errors.push({
        path: field,
        message: `${day} is before ${earliest}: its people's events would be stamped on it, and SparkFlow stores no event time before 1970-01-01T00:00:00Z`,
      });
    }
  }
  return errors;
}

/** What a backfill was stored with, back as the API shows it; a request that no longer parses is named. */
function toBackfill(stored: StoredBackfill): Backfill {
  const request = StoredBackfillRequest.safeParse(stored.request);
  if (!request.success) {
    throw new Error(
      `backfill ${stored.id} holds a request this ingestion cannot read: ${request.error.message}`,
    );
  }
  return {
    id: stored.id,
    request: request.data,
    status: stored.status,
    attempts: stored.attempts,
    requestedAt: stored.requestedAt.toISOString(),
    eventTimes: backfillEventTimes(stored.requestedAt, request.data),
    batches: stored.batches,
    ...(stored.error === null ? {} : { error: stored.error }),
  };
}

export interface BackfillWorkerOptions {
  /** How often a replica looks for a backfill whose lease ran out. */
  pollMs: number;
  /** Backfills one replica works at once; beyond it, it leaves abandoned ones to other replicas. Default 2. */
  maxConcurrent?: number;
  /** Times a backfill is taken up before an error that keeps coming back fails it. Default 5. */
  maxAttempts?: number;
  log?: (message: string) => void;
  /** The clock a request's time is read from (ms since the epoch). */
  now?: () => number;
  /** Where Idempotency-Keys are kept (`libs/idempotency-store`); without it a request with the header is 503. */
  keys?: KeyedPushStore;
  /** Told why the key store failed a request (answered 503). */
  warn?: (message: string) => void;
}

/** What `POST /v1/backfills` carries besides its body: the API key it was accepted under and its Idempotency-Key. */
export interface BackfillHeaders extends BodyHeaders {
  apiKey?: string;
  idempotencyKey?: string | string[];
}

export type BackfillOutcome = RequestOutcome<Backfill> | KeyRefusal;

/**
 * Produces one deterministic batch per day, generated and produced in chunks so memory stays flat
 * whatever `perDay` is. Progress here is what ingestion produced; whether each batch went all the way
 * through is the audit's answer (`GET /v1/batches/:batchId`).
 *
 * Backfills live in the repository, not in this process: any replica answers `GET /v1/backfills/:id`, and
 * the replica holding a backfill's lease works it, recording progress after each chunk Kafka acknowledged.
 * When that replica dies, its lease runs out and another one (or it, restarted) resumes from the recorded
 * progress. The chunk that was in flight is produced again with the same event ids (`backfillEventId`)
 * and event times (`backfillEventTime`), so the audit counts each person once and Cassandra's row is
 * rewritten with the same cells. An error
 * hands the backfill back the same way, up to `maxAttempts` times.
 */
export class BackfillsService {
  private readonly working = new Map<string, Promise<void>>();
  private stopping = false;
  private poller: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly ingest: IngestUsersUseCase,
    private readonly generate: DayGenerator,
    private readonly repository: BackfillRepository,
    private readonly options: BackfillWorkerOptions = { pollMs: 2000 },
  ) {}

  /**
   * `POST /v1/backfills`: 202 with the backfill it started; 400 `MALFORMED_JSON` for an empty body, 415
   * `UNSUPPORTED_MEDIA_TYPE` for one that is not JSON, 400 `SCHEMA_INVALID` naming the body when it is no
   * object, every bad field (a day out of range among them) or a malformed Idempotency-Key.
   *
   * With an `Idempotency-Key` (the header of `POST /v1/users`, ADR 15) a request may be sent again and
   * starts nothing more: the key, kept for 24 h in `libs/idempotency-store` under a scope of its own
   * (a backfill's key never meets a push's), holds the backfill id and request time of its first
   * request, and every request under it — a retry, a concurrent duplicate on another replica — stores that
   * backfill if it is not stored yet (only the one whose insert wins works it) and answers 202 with it as it
   * stands. The same key with another body is 422 naming the header; a key the store cannot check is 503.
   */
  async request(body: unknown, headers?: BackfillHeaders): Promise<BackfillOutcome> {
    const parsed = parseRequest(BackfillRequest, body, headers);
    if (!parsed.ok) return parsed.refusal;
    const header = parseIdempotencyKey(headers?.idempotencyKey);
    if (!header.ok)
      return refusal(400, SparkflowErrorCode.SchemaInvalid, header.message, [
        { path: 'Idempotency-Key', message: header.message },
      ]);
    const requestedAt = this.clock();
    const days = backfillDayErrors(parsed.data, requestedAt);
    if (days.length) return refusal(400, SparkflowErrorCode.SchemaInvalid, 'invalid request', days);
    if (header.key === null) return { status: 202, body: await this.start(parsed.data, requestedAt) };

    const claimed = await claimIdempotencyKey(
      this.options.keys,
      idempotencyScope(headers?.apiKey ?? '', header.key, 'backfill'),
      {
        batchId: randomUUID(),
        firstEventMicros: BigInt(requestedAt.getTime()) * 1000n,
        // The request as parsed, defaults applied: an omitted `source` is the same request as `"synthetic"`.
        bodySha256: bodyDigest(parsed.data),
      },
      'backfill',
      this.options.warn,
      [formerBodyDigest(body)],
    );
    if (!claimed.ok) return claimed.refusal;
    const { batchId: id, firstEventMicros } = claimed.kept;
    return {
      status: 202,
      body: await this.start(parsed.data, new Date(Number(firstEventMicros / 1000n)), id),
    };
  }

  private clock(): Date {
    return new Date((this.options.now ?? Date.now)());
  }

  /**
   * Stores the backfill with this replica's lease and starts working it; `requestedAt` is the time its
   * people's event times follow from (`backfillEventTime`). Given the `id` of a backfill
   * already stored (an Idempotency-Key's), it stores and starts nothing and answers that backfill as it stands.
   */
  async start(
    request: BackfillRequest,
    requestedAt = this.clock(),
    id: string = randomUUID(),
  ): Promise<Backfill> {
    const backfill: Backfill = {
      id,
      request,
      status: 'running',
      attempts: 1,
      requestedAt: requestedAt.toISOString(),
      eventTimes: backfillEventTimes(requestedAt, request),
      batches: daysBetween(request.from, request.to).map((day) => ({
        day,
        batchId: backfillBatchId(request.seed, day),
        expected: request.perDay,
        produced: 0,
      })),
    };
    const created = await this.repository.create({ ...backfill, requestedAt }).catch(backfillStoreError);
    if (created) {
      this.work(backfill);
      return backfill;
    }
    const stored = await this.repository.get(id).catch(backfillStoreError);
    if (!stored) throw new Error(`backfill ${id} was stored by another request but cannot be read back`);
    return toBackfill(stored);
  }

  async get(id: string): Promise<Backfill | undefined> {
    // Backfill ids are UUIDs: anything else names no backfill (and is never sent to the store).
    if (!BACKFILL_ID.safeParse(id).success) return undefined;
    const stored = await this.repository.get(id).catch(backfillStoreError);
    return stored ? toBackfill(stored) : undefined;
  }

  /**
   * `GET /v1/backfills?status=running`: the backfills still producing, the oldest request first, at most
   * RUNNING_BACKFILLS_LISTED; `truncated` when more are. Each names the span of its events' times
   * (`eventTimes`): one still producing may yet produce events of any day that span meets, past days
   * included (what `users_daily_aggregates` waits for, ADR 23). Still producing: `running`, or `cancelled`
   * while the replica that held it may still have a chunk in flight — listed, as `cancelled`, until that
   * replica has recorded the chunk (or stopped without one), its lease renewed meanwhile, at most a lease
   * (`leaseSeconds`) after the cancel when it died; so `produced` no longer grows once a backfill has left the list.
   * Given `days`, only the backfills with a batch on one of them (each batch's events are stamped on its
   * day, ADR 25), the limit and `truncated` applying to those alone: a run of many one-day backfills is no
   * longer cut short for the days none of them touches.
   */
  async running(days: BackfillDays = {}): Promise<RunningBackfills> {
    const stored = await this.repository.running(RUNNING_BACKFILLS_LISTED, days).catch(backfillStoreError);
    return { backfills: stored.backfills.map(toBackfill), truncated: stored.more };
  }

  /**
   * `DELETE /v1/backfills/:id`: the backfill, `cancelled`, as `get` answers it then; undefined when no
   * backfill has the id. Cancelling one already cancelled answers it the same way (a retry is no error); one
   * that already ended otherwise, `produced` or `failed`, is refused with CONFLICT naming its state.
   *
   * The state is PostgreSQL's, so any replica cancels any backfill: the one holding it stops after the
   * chunk it has in flight (what Kafka acknowledged stays produced, and counted in `produced`), and no
   * replica takes a cancelled backfill over. `produced` may still grow by that one chunk after this answers;
   * until it is recorded, `running` still lists the backfill (as `cancelled`).
   */
  async cancel(id: string): Promise<Backfill | undefined> {
    if (!BACKFILL_ID.safeParse(id).success) return undefined;
    await this.repository.cancel(id).catch(backfillStoreError);
    const backfill = await this.get(id);
    if (backfill && backfill.status !== 'cancelled') {
      const message = `backfill ${id} is already ${backfill.status}: only a running backfill can be cancelled`;
      throw new SparkflowException(SparkflowErrorCode.Conflict, message, {
        reasons: [{ code: SparkflowErrorCode.Conflict, message, path: 'id' }],
      });
    }
    return backfill;
  }

  /** Looks every `pollMs` for a backfill whose replica is gone, and resumes it. */
  startWorker(): void {
    this.poller = setInterval(() => {
      this.polling = this.polling
        .then(() => this.takeOverOne())
        .then(
          () => undefined,
          (err: unknown) =>
            this.options.log?.(
              `backfills: looking for an abandoned backfill failed: ${(err as Error).message}`,
            ),
        );
    }, this.options.pollMs);
  }

  /**
   * Stops taking backfills, lets each one in progress finish its chunk, then gives their leases up so
   * another replica resumes them at once instead of after the lease runs out.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.poller);
    await this.polling;
    await Promise.all(this.working.values());
  }

  /** Resumes the oldest backfill whose lease ran out, if any; resolves with its id. */
  async takeOverOne(): Promise<string | null> {
    if (this.stopping || this.working.size >= (this.options.maxConcurrent ?? 2)) return null;
    const stored = await this.repository.claimExpired();
    if (!stored) return null;
    let backfill: Backfill;
    try {
      backfill = toBackfill(stored);
    } catch (err) {
      // Perhaps a newer ingestion's request, during a rolling upgrade: leave it to a replica that reads it.
      await this.giveUpOrRelease(stored, err);
      return stored.id;
    }
    if (this.stopping) {
      await this.repository.release(backfill.id);
      return backfill.id;
    }
    this.options.log?.(
      `resuming backfill ${backfill.id} (attempt ${backfill.attempts}, ${backfill.batches.reduce((n, b) => n + b.produced, 0)} produced) from a replica that stopped holding it`,
    );
    this.work(backfill);
    return backfill.id;
  }

  /** Resolves when the backfill this replica works is finished, handed over or released. */
  settled(id: string): Promise<void> {
    return this.working.get(id) ?? Promise.resolve();
  }

  private work(b: Backfill): void {
    const run: Promise<void> = this.run(b).finally(() => {
      if (this.working.get(b.id) === run) this.working.delete(b.id);
    });
    this.working.set(b.id, run);
  }

  /**
   * After an error: hand the backfill back (released, so any replica — this one too — takes it up again
   * at once), or fail it once it was taken up `maxAttempts` times. A crash or an outage of Kafka or
   * PostgreSQL is waited out this way; only an error that keeps coming back fails a backfill.
   */
  private async giveUpOrRelease(b: { id: string; attempts: number }, err: unknown): Promise<void> {
    const message = (err as Error).message;
    const max = this.options.maxAttempts ?? 5;
    if (b.attempts >= max) {
      this.options.log?.(`backfill ${b.id} failed after ${b.attempts} attempts: ${message}`);
      const failed = await this.repository.finish(
        b.id,
        'failed',
        `gave up after ${b.attempts} attempts: ${message}`,
      );
      // Cancelled meanwhile: this replica stopped working it, so it is no longer producing.
      if (!failed) await this.repository.release(b.id);
    } else {
      this.options.log?.(
        `backfill ${b.id} stopped (attempt ${b.attempts} of ${max}), handed back: ${message}`,
      );
      await this.repository.release(b.id);
    }
  }

  private async run(b: Backfill): Promise<void> {
    const repo = this.repository;
    const requestedAt = new Date(b.requestedAt);
    let held = true;
    // A chunk may take longer than the lease when Kafka is slow: renew on a timer as well as on progress.
    const renewal = setInterval(
      () => {
        void repo.renew(b.id).then(
          (ok) => (held &&= ok),
          () => undefined,
        );
      },
      (repo.leaseSeconds * 1000) / 3,
    );
    try {
      for (const [position, batch] of b.batches.entries()) {
        if (batch.produced >= batch.expected) continue;
        await ingestInChunks(
          this.ingest,
          {
            source: 'backfill',
            batchId: batch.batchId,
            total: batch.expected,
            startAt: batch.produced,
            eventIdOf: (index) => backfillEventId(b.id, batch.batchId, index),
            eventTimeOf: (index) => backfillEventTime(requestedAt, batch.day, b.request.perDay, index),
            chunks: slices(
              batch.expected,
              (from, n) =>
                this.generate(
                  b.request.seed,
                  batch.day,
                  from,
                  n,
                  backfillRegisteredBy(requestedAt, batch.day, b.request.perDay),
                ),
              undefined,
              batch.produced,
            ),
          },
          async (produced) => {
            batch.produced = produced;
            // Recorded even once the renewal found the lease gone: a backfill cancelled meanwhile still
            // counts the chunk its holder had in flight (the store refuses any other replica's progress).
            const running = await repo.recordProgress(b.id, position, produced);
            held &&= running;
            return held && !this.stopping;
          },
        );
        if (!held || this.stopping) break;
      }
      if (!held) {
        const now = await repo.get(b.id).catch(() => null);
        // Cancelled once the last chunk was recorded (the renewal found out): nothing of it is in flight,
        // so let it go at once rather than leave it listed as producing until its lease runs out.
        if (now?.status === 'cancelled') await repo.release(b.id);
        this.options.log?.(
          now?.status === 'cancelled'
            ? `backfill ${b.id} was cancelled; stopped working it after ${now.batches.reduce((n, x) => n + x.produced, 0)} produced`
            : `backfill ${b.id} is held by another replica now; stopped working it`,
        );
      } else if (this.stopping) {
        await repo.release(b.id);
      } else if (!(await repo.finish(b.id, 'produced'))) {
        // Cancelled after its last chunk was recorded (or held by another replica now, whose lease this
        // leaves alone): this replica has stopped working it.
        await repo.release(b.id);
      }
    } catch (err) {
      // When PostgreSQL is what failed, this fails too and the lease lapses: the same hand-back, later.
      await this.giveUpOrRelease(b, err).catch(() => undefined);
    } finally {
      clearInterval(renewal);
    }
  }
}
