import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import {
  AuditQueriesUseCase,
  LateDaysUseCase,
  ListBatchesUseCase,
  SettledUseCase,
  badPathParameter,
  notInTheAudit,
  parseQuery,
  refuseQuery,
} from '@sparkflow/audit-store';
import {
  type BatchList,
  type BatchReport,
  type EventLineage,
  type LateDaysReport,
  type SettledReport,
  type UserHistory,
  UserHistoryQuery,
  batchIdProblem,
} from '@sparkflow/contracts';
import { ApiKeyGuard } from '@sparkflow/service-kit';
import { AUDIT_CONFIG, type AuditConfig } from './audit.config';

/**
 * Lineage and batch reports name people and their events: every route needs an `x-api-key` (health and
 * /metrics stay open). A query parameter a route does not read, or reads in another shape, is a 400 naming
 * it: the batch list reads `since`, `incomplete`, `limit` and `cursor`, a person's history `limit`, the
 * settled and late-days checks `from` and `to`, the other routes none. A bad path parameter
 * is a 400 naming it, and an event, batch or person the audit has not seen a 404 `NOT_FOUND` naming it,
 * both `{statusCode, code, message, reasons}`.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class AuditQueryController {
  constructor(
    private readonly queries: AuditQueriesUseCase,
    private readonly listBatches: ListBatchesUseCase,
    private readonly settled: SettledUseCase,
    private readonly lateDays: LateDaysUseCase,
    @Inject(AUDIT_CONFIG) private readonly config: Pick<AuditConfig, 'AUDIT_RETENTION_DAYS'>,
  ) {}

  /** A 404's message: what the audit has not seen, and what retention may have forgotten (ADR 27). */
  private notSeen(what: string): string {
    return notSeenMessage(what, this.config.AUDIT_RETENTION_DAYS);
  }

  /** Batches registered since `since` (default: the last 24 hours), newest first; `incomplete=true` for those in flight. */
  @Get('batches')
  batches(@Query() query: Record<string, unknown>): Promise<BatchList> {
    return this.listBatches.execute(query);
  }

  /**
   * Whether every event with an event time in [from, to) is persisted or dead-lettered, and what is not yet
   * (ADR 23). Declared before `events/:eventId`, which would otherwise take `settled` for an event id.
   */
  @Get('events/settled')
  eventsSettled(@Query() query: Record<string, unknown>): Promise<SettledReport> {
    return this.settled.execute(query);
  }

  /**
   * The event days of the persisted and dead-lettered records the broker appended in [from, to), and whether
   * the audit has read all of them, so a day aggregated before they arrived is aggregated again. Declared
   * before `events/:eventId`, as `events/settled` is.
   */
  @Get('events/late-days')
  eventsLateDays(@Query() query: Record<string, unknown>): Promise<LateDaysReport> {
    return this.lateDays.execute(query);
  }

  /** The event's path across topics: ingested → enriched → persisted, or → dead-lettered with reasons. */
  @Get('events/:eventId')
  async event(
    @Param('eventId') eventId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<EventLineage> {
    refuseQuery(query, 'GET /v1/events/:eventId');
    uuidParameter('eventId', eventId);
    return found(await this.queries.eventLineage(eventId), 'eventId', this.notSeen(`no event ${eventId}`));
  }

  @Get('batches/:batchId')
  async batch(
    @Param('batchId') batchId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<BatchReport> {
    refuseQuery(query, 'GET /v1/batches/:batchId');
    const problem = batchIdProblem(batchId);
    if (problem) throw badPathParameter('batchId', problem);
    return found(await this.queries.batchReport(batchId), 'batchId', this.notSeen(`no batch ${batchId}`));
  }

  @Get('users/:userId/history')
  async history(
    @Param('userId') userId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<UserHistory> {
    const { limit } = parseQuery(query, 'GET /v1/users/:userId/history', UserHistoryQuery);
    uuidParameter('userId', userId);
    return found(
      await this.queries.userHistory(userId, limit),
      'userId',
      this.notSeen(`no events for user ${userId}`),
    );
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `<what> in the audit`, and, while retention is on, that a complete batch and every event filed under it
 * are forgotten `retentionDays` after its last row arrived: a 404 for something that was once there says
 * why it may be gone.
 */
export function notSeenMessage(what: string, retentionDays: number): string {
  if (retentionDays === 0) return `${what} in the audit`;
  return (
    `${what} in the audit (a complete batch and its events are forgotten ${retentionDays} days after its last ` +
    `event arrived: AUDIT_RETENTION_DAYS)`
  );
}

/** Event and user ids are UUIDs (8-4-4-4-12 hexadecimal digits): anything else is a 400 naming the parameter. */
function uuidParameter(name: string, value: string): void {
  if (!UUID.test(value)) throw badPathParameter(name, 'must be a UUID (8-4-4-4-12 hexadecimal digits)');
}

function found<T>(value: T | null, name: string, notFound: string): T {
  if (value === null) throw notInTheAudit(name, notFound);
  return value;
}
