import { BadRequestException, Body, Controller, Get, HttpCode, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { BackfillRequest, BackfillsService, IngestUsersUseCase } from '@sparkflow/ingestion';
import { RandomUserClient, generateUsers } from '@sparkflow/sources';
import { ApiKeyGuard } from '@sparkflow/service-kit';
import { RateLimitGuard } from './rate-limit.guard';

const SyntheticRequest = z.object({
  count: z.number().int().min(1).max(1_000_000),
  seed: z.string().min(1).max(100).default('sparkflow'),
  page: z.number().int().min(1).default(1),
});
const PullRequest = z.object({
  count: z.number().int().min(1).max(100_000),
  seed: z.string().min(1).max(100),
  nat: z.array(z.string().length(2)).optional(),
});

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) {
    throw new BadRequestException({
      message: 'invalid request',
      errors: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return r.data;
}

/** The other ways users enter: the seeded generator, a randomuser-compatible API, and backfills. */
@Controller('v1')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class SourcesController {
  constructor(
    private readonly ingest: IngestUsersUseCase,
    private readonly backfills: BackfillsService,
    private readonly randomUser: RandomUserClient,
  ) {}

  @Post('synthetic')
  @HttpCode(202)
  synthetic(@Body() body: unknown) {
    const req = parse(SyntheticRequest, body);
    const users = generateUsers({ seed: req.seed, count: req.count, page: req.page });
    return this.ingest.execute({ users, source: 'synthetic', batchId: `synthetic-${req.seed}-p${req.page}-n${req.count}` });
  }

  @Post('pulls')
  @HttpCode(202)
  async pull(@Body() body: unknown) {
    const req = parse(PullRequest, body);
    const users = await this.randomUser.fetchUsers({ count: req.count, seed: req.seed, nat: req.nat });
    return this.ingest.execute({ users, source: 'randomuser-api', batchId: `randomuser-${req.seed}-n${req.count}` });
  }

  @Post('backfills')
  @HttpCode(202)
  backfill(@Body() body: unknown) {
    return this.backfills.start(parse(BackfillRequest, body));
  }

  @Get('backfills/:id')
  progress(@Param('id') id: string) {
    const backfill = this.backfills.get(id);
    if (!backfill) throw new NotFoundException(`no backfill ${id}`);
    return backfill;
  }
}
