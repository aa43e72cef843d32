import { Controller, Get, HttpCode, HttpException, HttpStatus, Inject } from '@nestjs/common';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** Named probes of the connections a service needs; each resolves when its dependency answers. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

@Controller('health')
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessChecks) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: 'ok'; checks: Record<string, 'up'> }> {
    const entries = await Promise.all(
      Object.entries(this.checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, 'up'] as const;
        } catch (err) {
          return [name, `down: ${(err as Error).message}`] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    if (entries.some(([, state]) => state !== 'up')) {
      throw new HttpException({ status: 'unavailable', checks }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ok', checks: checks as Record<string, 'up'> };
  }
}

/** Readiness probe of a Kafka client: a metadata round trip to the cluster. */
export function kafkaReady(kafka: {
  admin(): { connect(): Promise<void>; describeCluster(): Promise<unknown>; disconnect(): Promise<void> };
}) {
  return async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await admin.describeCluster();
    } finally {
      await admin.disconnect();
    }
  };
}
