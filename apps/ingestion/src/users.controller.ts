import { BadRequestException, Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { IngestUsersUseCase, parsePushBody, type IngestReceipt } from '@sparkflow/ingestion';
import { ApiKeyGuard } from '@sparkflow/service-kit';
import { RateLimitGuard } from './rate-limit.guard';
import { INGESTION_CONFIG, type IngestionConfig } from './ingestion.config';

@Controller('v1/users')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class UsersController {
  constructor(
    private readonly ingest: IngestUsersUseCase,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
  ) {}

  /** 202 once Kafka has acknowledged every user; 400 listing every invalid field. */
  @Post()
  @HttpCode(202)
  async push(@Body() body: unknown): Promise<Omit<IngestReceipt, 'eventIds'> & { eventIds: string[] }> {
    const parsed = parsePushBody(body, this.config.INGESTION_MAX_USERS_PER_REQUEST);
    if (!parsed.ok) throw new BadRequestException({ message: 'invalid users', errors: parsed.errors });
    return this.ingest.execute({ users: parsed.users, source: 'http-push' });
  }
}
