import type { IncomingHttpHeaders } from 'node:http';
import { Body, Controller, Headers, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { IDEMPOTENCY_KEY_HEADER, PushUsersUseCase } from '@sparkflow/ingestion-core';
import { API_KEY_HEADER, ApiKeyGuard, bodyIsEmpty } from '@sparkflow/service-kit';
import { RateLimitGuard } from './rate-limit.guard';
import { reply } from './reply';

@Controller('v1/users')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class UsersController {
  constructor(private readonly pushUsers: PushUsersUseCase) {}

  /**
   * 202 once Kafka has acknowledged every valid person and the dead letter of every invalid one; with an
   * Idempotency-Key, the same 202 and the same events for every request sent under it. An empty body is
   * 400 and one that is not application/json 415 (the JSON parser leaves it unread).
   */
  @Post()
  @HttpCode(202)
  async push(
    @Body() body: unknown,
    @Headers() headers: IncomingHttpHeaders,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const pushed = await this.pushUsers.execute(body, {
      apiKey: String(headers[API_KEY_HEADER]),
      idempotencyKey: headers[IDEMPOTENCY_KEY_HEADER],
      contentType: headers['content-type'] ?? null,
      emptyBody: bodyIsEmpty(req),
    });
    return reply(res, pushed);
  }
}
