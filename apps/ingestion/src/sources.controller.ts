import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import {
  BackfillsService,
  IDEMPOTENCY_KEY_HEADER,
  type Backfill,
  type RunningBackfills,
  PullUsersUseCase,
  SyntheticUsersUseCase,
  type BodyHeaders,
} from '@sparkflow/ingestion-core';
import { API_KEY_HEADER, ApiKeyGuard, bodyIsEmpty } from '@sparkflow/service-kit';
import { RateLimitGuard } from './rate-limit.guard';
import { reply } from './reply';

/** What the use cases need to refuse a body that is empty (400) or not JSON (415), as `POST /v1/users` does. */
const bodyHeaders = (req: Request): BodyHeaders => ({
  contentType: req.headers['content-type'] ?? null,
  emptyBody: bodyIsEmpty(req),
});

/** The other ways users enter: the seeded generator, a randomuser-compatible API, and backfills. */
@Controller('v1')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class SourcesController {
  constructor(
    private readonly syntheticUsers: SyntheticUsersUseCase,
    private readonly pullUsers: PullUsersUseCase,
    private readonly backfills: BackfillsService,
  ) {}

  @Post('synthetic')
  @HttpCode(202)
  async synthetic(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return reply(res, await this.syntheticUsers.execute(body, bodyHeaders(req)));
  }

  @Post('pulls')
  @HttpCode(202)
  async pull(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return reply(res, await this.pullUsers.execute(body, bodyHeaders(req)));
  }

  /**
   * 202 with the backfill started; with an Idempotency-Key, the same backfill (id) for every request sent
   * under it, started once (ADR 15).
   */
  @Post('backfills')
  @HttpCode(202)
  async backfill(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return reply(
      res,
      await this.backfills.request(body, {
        ...bodyHeaders(req),
        apiKey: String(req.headers[API_KEY_HEADER]),
        idempotencyKey: req.headers[IDEMPOTENCY_KEY_HEADER],
      }),
    );
  }

  /**
   * `?status=running`: the backfills still producing, the oldest request first (at most 100, `truncated`
   * when more are), from PostgreSQL as every replica reads them: the running ones, and a cancelled one (its
   * status `cancelled`) until the replica that held it has recorded the chunk it had in flight — at most the
   * backfill lease after the cancel, when that replica died. `status` is required and `running` is the one
   * it takes; it and any other parameter are otherwise 400 naming it.
   */
  @Get('backfills')
  async running(@Query() query: Record<string, unknown>): Promise<RunningBackfills> {
    const reasons = Object.entries(query).flatMap(([key, value]) =>
      key !== 'status'
        ? [{ path: key.slice(0, 100), message: 'is not a parameter of GET /v1/backfills (it reads status)' }]
        : value !== 'running'
          ? [{ path: 'status', message: 'must be `running`, given once' }]
          : [],
    );
    if (!('status' in query)) reasons.push({ path: 'status', message: 'is required: `running`' });
    if (reasons.length) {
      throw new SparkflowException(
        SparkflowErrorCode.SchemaInvalid,
        `bad query: ${reasons.map((r) => `${r.path}: ${r.message}`).join('; ')}`,
        { reasons: reasons.map((r) => ({ code: SparkflowErrorCode.SchemaInvalid, ...r })) },
      );
    }
    return this.backfills.running();
  }

  /**
   * Answered from PostgreSQL, so every replica answers for every backfill; an id no backfill has is 404
   * NOT_FOUND naming `id`.
   */
  @Get('backfills/:id')
  async progress(@Param('id') id: string) {
    return found(id, await this.backfills.get(id));
  }

  /**
   * Cancels a running backfill, from any replica (ADR 22): 202 with the backfill as `GET` then answers it,
   * `cancelled`; the replica working it stops after the chunk it has in flight, whose people are still
   * counted in `produced`. Cancelling it again answers the same; a backfill that already ended `produced`
   * or `failed` is 409 CONFLICT naming its state; an id no backfill has 404 NOT_FOUND, as `GET` answers.
   */
  @Delete('backfills/:id')
  @HttpCode(202)
  async cancel(@Param('id') id: string) {
    return found(id, await this.backfills.cancel(id));
  }
}

/**
 * The backfill `id` names; when there is none, 404 NOT_FOUND naming `id`, in the documented error shape (as
 * the audit answers an absent batch).
 */
function found(id: string, backfill: Backfill | undefined): Backfill {
  if (!backfill) {
    const message = `no backfill ${id}`;
    throw new SparkflowException(SparkflowErrorCode.NotFound, message, {
      reasons: [{ code: SparkflowErrorCode.NotFound, message, path: 'id' }],
    });
  }
  return backfill;
}
