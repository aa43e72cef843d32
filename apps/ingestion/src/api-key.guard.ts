import { type CanActivate, type ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { INGESTION_CONFIG, type IngestionConfig } from './ingestion.config';

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Write endpoints need one of the configured keys in `x-api-key`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(INGESTION_CONFIG) private readonly config: IngestionConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const key = ctx.switchToHttp().getRequest<Request>().header('x-api-key') ?? '';
    if (this.config.INGESTION_API_KEYS.some((k) => same(k, key))) return true;
    throw new UnauthorizedException('a valid x-api-key header is required');
  }
}
