import {
  BadRequestException,
  Controller,
  Get,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Query,
  UseGuards,
} from '@nestjs/common';
import { AuditQueriesUseCase, ListBatchesUseCase, refuseQuery } from '@sparkflow/audit-store';
import {
  type BatchList,
  type BatchReport,
  type EventLineage,
  type UserHistory,
  batchIdProblem,
} from '@sparkflow/contracts';
import { ApiKeyGuard } from '@sparkflow/service-kit';

/**
 * Lineage and batch reports name people and their events: every route needs an `x-api-key` (health and
 * /metrics stay open). A query parameter a route does not read, or reads in another shape, is a 400 naming
 * it: the batch list reads `since`, `incomplete` and `limit`, the other routes none.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class AuditQueryController {
  constructor(
    private readonly queries: AuditQueriesUseCase,
    private readonly listBatches: ListBatchesUseCase,
  ) {}

  /** Batches registered since `since` (default: the last 24 hours), newest first; `incomplete=true` for those in flight. */
  @Get('batches')
  batches(@Query() query: Record<string, unknown>): Promise<BatchList> {
    return this.listBatches.execute(query);
  }

  /** The event's path across topics: ingested → enriched → persisted, or → dead-lettered with reasons. */
  @Get('events/:eventId')
  async event(
    @Param('eventId', new ParseUUIDPipe()) eventId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<EventLineage> {
    refuseQuery(query, 'GET /v1/events/:eventId');
    return found(await this.queries.eventLineage(eventId), `no event ${eventId} in the audit`);
  }

  @Get('batches/:batchId')
  async batch(
    @Param('batchId') batchId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<BatchReport> {
    refuseQuery(query, 'GET /v1/batches/:batchId');
    const problem = batchIdProblem(batchId);
    if (problem) throw new BadRequestException(problem);
    return found(await this.queries.batchReport(batchId), `no batch ${batchId} in the audit`);
  }

  @Get('users/:userId/history')
  async history(
    @Param('userId', new ParseUUIDPipe()) userId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<UserHistory> {
    refuseQuery(query, 'GET /v1/users/:userId/history');
    return found(await this.queries.userHistory(userId), `no events for user ${userId} in the audit`);
  }
}

function found<T>(value: T | null, notFound: string): T {
  if (value === null) throw new NotFoundException(notFound);
  return value;
}
