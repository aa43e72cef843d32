import { Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query, UseGuards } from '@nestjs/common';
import { AuditEventsRepository, ListBatchesUseCase } from '@sparkflow/audit-store';
import type { BatchList } from '@sparkflow/contracts';
import { ApiKeyGuard } from '@sparkflow/service-kit';

/** Lineage and batch reports name people and their events: every route needs an `x-api-key` (health and /metrics stay open). */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class AuditQueryController {
  constructor(
    private readonly audit: AuditEventsRepository,
    private readonly listBatches: ListBatchesUseCase,
  ) {}

  /** Batches registered since `since` (default: the last 24 hours), newest first; `incomplete=true` for those in flight. */
  @Get('batches')
  batches(@Query() query: Record<string, unknown>): Promise<BatchList> {
    return this.listBatches.execute(query);
  }

  /** The event's path across topics: ingested → enriched → persisted, or → dead-lettered with reasons. */
  @Get('events/:eventId')
  async event(@Param('eventId', new ParseUUIDPipe()) eventId: string) {
    const stages = await this.audit.lineage(eventId);
    if (!stages.length) throw new NotFoundException(`no event ${eventId} in the audit`);
    return { eventId, stages };
  }

  @Get('batches/:batchId')
  async batch(@Param('batchId') batchId: string) {
    const counts = await this.audit.batchCounts(batchId);
    if (!counts) throw new NotFoundException(`no batch ${batchId} in the audit`);
    return { ...counts, timing: await this.audit.batchTiming(batchId), sampleUserId: await this.audit.sampleUser(batchId) };
  }

  @Get('users/:userId/history')
  async history(@Param('userId', new ParseUUIDPipe()) userId: string) {
    const events = await this.audit.userHistory(userId.toLowerCase());
    if (!events.length) throw new NotFoundException(`no events for user ${userId} in the audit`);
    return { userId, events };
  }
}
