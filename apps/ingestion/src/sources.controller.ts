import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { BackfillsService, PullUsersUseCase, SyntheticUsersUseCase } from '@sparkflow/ingestion-core';
import { ApiKeyGuard } from '@sparkflow/service-kit';
import { RateLimitGuard } from './rate-limit.guard';
import { reply } from './reply';

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
  async synthetic(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    return reply(res, await this.syntheticUsers.execute(body));
  }

  @Post('pulls')
  @HttpCode(202)
  async pull(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    return reply(res, await this.pullUsers.execute(body));
  }

  @Post('backfills')
  @HttpCode(202)
  async backfill(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    return reply(res, await this.backfills.request(body));
  }

  /** Answered from PostgreSQL, so every replica answers for every backfill. */
  @Get('backfills/:id')
  async progress(@Param('id') id: string) {
    const backfill = await this.backfills.get(id);
    if (!backfill) throw new NotFoundException(`no backfill ${id}`);
    return backfill;
  }
}
