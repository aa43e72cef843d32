import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { PushUsersUseCase } from '@sparkflow/ingestion-core';
import { ApiKeyGuard } from '@sparkflow/service-kit';
import { RateLimitGuard } from './rate-limit.guard';
import { reply } from './reply';

@Controller('v1/users')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class UsersController {
  constructor(private readonly pushUsers: PushUsersUseCase) {}

  /** 202 once Kafka has acknowledged every valid person and the dead letter of every invalid one. */
  @Post()
  @HttpCode(202)
  async push(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    return reply(res, await this.pushUsers.execute(body));
  }
}
