import { z } from 'zod';
import {
  DeadLetterEvent,
  EnrichedUser,
  Envelope,
  HEADERS,
  PersistedEvent,
  SparkflowErrorCode,
  TOPICS,
  eventOf,
  storableId,
  type DeadLetterReason,
} from '@sparkflow/contracts';
import {
  type InboundMessage,
  type MessageOutcome,
  OK,
  SparkflowException,
  appendedAtOf,
  failed,
  identityOf,
} from '@sparkflow/kafka';
import type { AuditOutcome } from '../entities/audit-event.entity';
import type { AuditEventsRepository, AuditRow } from './audit-events.repository';
import { fromPostgresError, postgresErrorCode } from './postgres-errors';

/** The topics the audit reads. users.enriched is not one: an event's enriched row comes with its ack or dead letter. */
const OUTCOME_BY_TOPIC: Record<string, AuditOutcome> = {
  [TOPICS.usersRaw]: 'ingested',
  [TOPICS.usersDlq]: 'dead-lettered',
  [TOPICS.usersPersisted]: 'persisted',
};

/**
 * Only what the audit keeps of raw records and of the enriched records persistence dead-letters: their
 * envelope and whose they are. Validating the whole person is enrichment's job (a raw record it rejects reaches the audit again as a dead
 * letter), and doing it a second time here was most of the audit's parsing cost.
 */
const RawUserKey = eventOf(z.object({ login: z.object({ uuid: z.string() }) }));
const EnrichedUserKey = eventOf(EnrichedUser.pick({ userId: true }));

/** PostgreSQL's `integer`, the type of `batches.expected_count`. */
const MAX_EXPECTED_COUNT = 2_147_483_647;

/**
 * The size a raw record's batch header declares, or null for none: plain decimal digits up to what
 * `batches.expected_count` holds. Anything else (`1e+135`, `10.5`, `-1`, a size past 2^31 − 1) declares
 * no size, so the batch is judged by what arrives instead of quarantining its records for a header.
 */
export function declaredBatchSize(header: string | undefined): number | null {
  if (header === undefined || !/^\d{1,10}$/.test(header)) return null;
  const size = Number(header);
  return size <= MAX_EXPECTED_COUNT ? size : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const json = (m: InboundMessage): unknown => parseJson(m.value?.toString('utf8') ?? 'null');

/**
 * Topics whose records nobody but the audit reads: one the audit cannot identify is dead-lettered by the
 * audit itself (its quarantine letter on users.dlq is well-formed, so the audit records that instead).
 * An unreadable users.raw record is explained by enrichment's dead letter, so the audit leaves it to
 * enrichment rather than count it twice.
 */
const ONLY_THE_AUDIT_READS = new Set<string>([TOPICS.usersPersisted, TOPICS.usersDlq]);

function unidentified(m: InboundMessage): SparkflowException {
  return new SparkflowException(
    SparkflowErrorCode.SchemaInvalid,
    `the audit cannot identify this ${m.topic} record: no readable envelope with an event id`,
  );
}

/**
 * The enriched stage of an event persistence wrote, from its acknowledgement: the same row the audit once
 * recorded from the users.enriched record itself (that record's partition, offset and producedAt; the ack
 * repeats its envelope's source and batch and its user). An ack from before it carried `enriched` says
 * nothing of where that record was, so the event keeps only its persisted stage.
 */
function enrichedRowOfAck(ack: PersistedEvent): AuditRow | null {
  const from = ack.payload.enriched;
  if (!from) return null;
  return {
    eventId: ack.payload.enrichedEventId,
    topic: TOPICS.usersEnriched,
    outcome: 'enriched',
    partition: from.partition,
    offset: from.offset,
    // Every batch id the audit stores is clamped and escaped alike (`storableId`): one event, one batch.
    batchId: storableId(ack.batchId),
    source: ack.source,
    producedAt: new Date(from.producedAt),
    // The enriched record's own broker timestamp, which persistence read (the ack's is not it).
    appendedAt: from.appendedAt ? new Date(from.appendedAt) : null,
    userId: ack.payload.userId,
    reasons: null,
  };
}

/**
 * The enriched stage of an event persistence dead-lettered: the record it gave up on is the dead
 * letter's payload, read as the audit once read it on users.enriched (envelope and user id). A payload
 * cut to fit users.dlq still names the record by the letter's fields; only its producedAt is then unknown.
 */
function enrichedRowOfDeadLetter(d: DeadLetterEvent): AuditRow | null {
  const dl = d.payload;
  if (dl.originalTopic !== TOPICS.usersEnriched || dl.stage !== 'persistence') return null;
  if (dl.partition === null || dl.offset === null) return null;
  const base = {
    topic: TOPICS.usersEnriched,
    outcome: 'enriched' as const,
    partition: dl.partition,
    offset: dl.offset,
    // The enriched record's own broker timestamp, which the dead letter names (its own is not it).
    appendedAt: dl.originalAppendedAt ? new Date(dl.originalAppendedAt) : null,
    reasons: null,
  };
  if (dl.payloadEncoding === 'utf8' && !dl.payloadTruncated) {
    const e = EnrichedUserKey.safeParse(parseJson(dl.payload));
    return e.success
      ? {
          ...base,
          eventId: e.data.eventId,
          batchId: storableId(e.data.batchId),
          source: e.data.source,
          producedAt: new Date(e.data.producedAt),
          userId: e.data.payload.userId,
        }
      : null;
  }
  const eventId = dl.originalEventId;
  if (!eventId || !UUID.test(eventId)) return null;
  return {
    ...base,
    eventId,
    batchId: storableId(dl.originalBatchId),
    source: d.source,
    producedAt: null,
    userId: dl.key && UUID.test(dl.key) ? dl.key.toLowerCase() : null,
  };
}

/**
 * The audit's rows for one record, or null when it cannot identify it. The event id is the same on every
 * topic a person's event crosses (raw → enriched → persisted, or → dlq), so (event_id, topic) rows form
 * its lineage. users.enriched is not read: its stage comes with the ack or the dead letter that settles
 * the event. A raw record too broken to parse is still audited from its headers; its dead letter explains it.
 */
export function auditRowsOf(m: InboundMessage): AuditRow[] | null {
  const outcome = OUTCOME_BY_TOPIC[m.topic];
  if (!outcome) return null;
  const value = json(m);
  const envelope = Envelope.safeParse(value);
  // Who the record is by the rule its dead letter follows (`identityOf`): one event, one batch.
  const identity = identityOf(envelope.success ? envelope.data : null, m.headers);
  const base = {
    topic: m.topic,
    outcome,
    partition: m.partition,
    offset: m.offset,
    batchId: identity.batchId,
    source: identity.source,
    producedAt: envelope.success ? new Date(envelope.data.producedAt) : null,
    appendedAt: appendedAtOf(m),
    userId: null as string | null,
    reasons: null as DeadLetterReason[] | null,
  };
  switch (m.topic) {
    case TOPICS.usersRaw: {
      const eventId = identity.eventId;
      if (!eventId || !UUID.test(eventId)) return null;
      const raw = RawUserKey.safeParse(value);
      const uuid = raw.success ? raw.data.payload.login.uuid : '';
      return [{ ...base, eventId, userId: UUID.test(uuid) ? uuid.toLowerCase() : null }];
    }
    case TOPICS.usersPersisted: {
      const p = PersistedEvent.safeParse(value);
      if (!p.success) return null;
      const persisted = { ...base, eventId: p.data.payload.enrichedEventId, userId: p.data.payload.userId };
      const enriched = enrichedRowOfAck(p.data);
      return enriched ? [enriched, persisted] : [persisted];
    }
    case TOPICS.usersDlq: {
      const d = DeadLetterEvent.safeParse(value);
      if (!d.success) return null;
      const original = d.data.payload.originalEventId;
      const row: AuditRow = {
        ...base,
        eventId: original && UUID.test(original) ? original : d.data.eventId,
        // Clamped as a raw record's batch is, so a dead letter from any producer names a batch the API accepts.
        batchId: storableId(d.data.payload.originalBatchId ?? d.data.batchId),
        reasons: d.data.payload.reasons,
        userId: d.data.payload.key && UUID.test(d.data.payload.key) ? d.data.payload.key.toLowerCase() : null,
      };
      // A person ingestion refused never reached users.raw, yet it was received and its batch counts it:
      // recorded as ingested (at no place on users.raw) and dead-lettered, so the batch's account adds up.
      if (d.data.payload.stage === 'ingestion') {
        const received: AuditRow = { ...row, topic: TOPICS.usersRaw, outcome: 'ingested', reasons: null };
        return [{ ...received, partition: null, offset: null, appendedAt: null }, row];
      }
      const enriched = enrichedRowOfDeadLetter(d.data);
      return enriched ? [enriched, row] : [row];
    }
    default:
      return null;
  }
}

/** Whether a raw record's batch-size header is about `batchId`: its batch header names that batch, or none. */
function sizeHeaderSpeaksFor(m: InboundMessage, batchId: string): boolean {
  const header = m.headers[HEADERS.batchId];
  return header === undefined || storableId(header) === batchId;
}

type BatchRow = { batchId: string; source: string; expectedCount: number | null };

/** What one record asks the store to keep: its audit row and, for the first raw record of a batch, the batch. */
interface Unit {
  index: number;
  /** Its audit rows: none when the audit cannot identify it, two for a person ingestion refused or an event persistence settled. */
  rows: AuditRow[] | null;
  batch: BatchRow | null;
}

/**
 * Records every topic's records in the audit. When PostgreSQL refuses a batch's values (a NUL byte in
 * a batch id, an index row too large, …), the rows it refuses are found by splitting the batch in
 * halves, the others are stored, and each refused record fails as POSTGRES_REJECTED: the consumer
 * publishes it at once as a quarantine dead letter on users.dlq (stage `audit`), built storable, which
 * the audit then records as the event's dead-lettered row. An outage fails every record alike and is
 * waited out; a refused value is never retried.
 */
export class RecordEventsUseCase {
  constructor(private readonly repository: AuditEventsRepository) {}

  async execute(messages: readonly InboundMessage[]): Promise<MessageOutcome[]> {
    // Every identified raw record carries its batch, so whether a batch is registered never depends on
    // how the records happened to be grouped into Kafka batches (a replay groups them differently).
    const units: Unit[] = messages.map((m, index) => {
      const rows = auditRowsOf(m);
      // The batch is the one the record's row names (its envelope's, else its header's).
      const raw = m.topic === TOPICS.usersRaw && rows !== null ? rows[0] : null;
      let batch: BatchRow | null = null;
      if (raw?.batchId) {
        batch = {
          batchId: raw.batchId,
          source: raw.source ?? 'unknown',
          // The size header speaks for the header's batch: counted only when that is the record's batch.
          expectedCount: sizeHeaderSpeaksFor(m, raw.batchId)
            ? declaredBatchSize(m.headers[HEADERS.batchSize])
            : null,
        };
      }
      return { index, rows, batch };
    });
    const outcomes: MessageOutcome[] = messages.map((m, i) =>
      units[i].rows === null && ONLY_THE_AUDIT_READS.has(m.topic) ? failed(unidentified(m)) : OK,
    );
    try {
      await this.store(units, outcomes);
      return outcomes;
    } catch (error) {
      const outage = fromPostgresError(error, 'PostgreSQL did not store the audit rows');
      return messages.map(() => failed(outage));
    }
  }

  /** Stores the units, or the ones PostgreSQL accepts, marking the refused ones; rethrows anything else. */
  private async store(units: Unit[], outcomes: MessageOutcome[]): Promise<void> {
    const rows = units.flatMap((u) => u.rows ?? []);
    if (!rows.length) return;
    try {
      const batches = new Map<string, BatchRow>();
      for (const u of units)
        if (u.batch && !batches.has(u.batch.batchId)) batches.set(u.batch.batchId, u.batch);
      await this.repository.record(rows, [...batches.values()]);
    } catch (error) {
      if (postgresErrorCode(error) !== SparkflowErrorCode.PostgresRejected) throw error;
      if (units.length === 1) {
        outcomes[units[0].index] = failed(fromPostgresError(error, 'PostgreSQL refused the audit row'));
        return;
      }
      const half = Math.ceil(units.length / 2);
      await this.store(units.slice(0, half), outcomes);
      await this.store(units.slice(half), outcomes);
    }
  }
}
