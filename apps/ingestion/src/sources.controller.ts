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
import { z } from 'zod';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import {
  BackfillsService,
  IDEMPOTENCY_KEY_HEADER,
  type BackfillDays,
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
   * it takes. Optional `from` and `to` (ISO days, both included, each no bound when absent) keep only the
   * backfills with a batch on a day between them, the limit and `truncated` applying to those alone. Any of
   * them malformed or given twice, `from` after `to`, or any other parameter, is 400 naming it.
   */
  @Get('backfills')
  async running(@Query() query: Record<string, unknown>): Promise<RunningBackfills> {
    return this.backfills.running(runningDays(query));
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

/** `from` and `to` of GET /v1/backfills: a real ISO day PostgreSQL takes (it has no year 0), given once. */
const QUERY_DAY = z.iso.date().refine((day) => day >= '0001-01-01');

/**
 * The days `GET /v1/backfills?status=running` is kept to; 400 SCHEMA_INVALID naming every parameter at fault
 * (one given twice arrives as an array, `status[a]=` as an object).
 */
function runningDays(query: Record<string, unknown>): BackfillDays {
  const reasons = Object.entries(query).flatMap(([key, value]) => {
    if (key === 'status')
      return value === 'running' ? [] : [{ path: key, message: 'must be `running`, given once' }];
    if (key === 'from' || key === 'to') {
      return QUERY_DAY.safeParse(value).success
        ? []
        : [{ path: key, message: 'must be a day, YYYY-MM-DD (a real date), given once' }];
    }
    return [
      {
        path: key.slice(0, 100),
        message: 'is not a parameter of GET /v1/backfills (it reads status, from and to)',
      },
    ];
  });
  if (!('status' in query)) reasons.push({ path: 'status', message: 'is required: `running`' });
  const day = (key: 'from' | 'to') => {
    const parsed = QUERY_DAY.safeParse(query[key]);
    return parsed.success ? { [key]: parsed.data } : {};
  };
  const days: BackfillDays = { ...day('from'), ...day('to') };
  // Only when both are days: a malformed one is already named on its own.
  if (days.from !== undefined && days.to !== undefined && days.from > days.to) {
    reasons.push({ path: 'to', message: '`from` must not be after `to`' });
  }
  if (reasons.length) {
    throw new SparkflowException(
      SparkflowErrorCode.SchemaInvalid,
      `bad query: ${reasons.map((r) => `${r.path}: ${r.message}`).join('; ')}`,
      { reasons: reasons.map((r) => ({ code: SparkflowErrorCode.SchemaInvalid, ...r })) },
    );
  }
  return days;
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
