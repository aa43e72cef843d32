import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/**
 * Named probes of what a service needs to make progress; each resolves when its dependency answers and
 * rejects with the reason when it does not. Each app provides its own under `READINESS_CHECKS`: the
 * Kafka metadata round trip (`kafkaReady`), a CQL query, `SELECT 1`, and for a consumer its
 * `ConsumerHealth`, which rejects while the watchdog replaces the consumer, a partition waits out an
 * outage or stands still, so a service that cannot make progress is never reported ready.
 */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/**
 * A Terminus health indicator over one named readiness probe: `{status: 'up'}`, or `{status: 'down',
 * message}` with the probe's own reason, which the 503 body carries under `error.<name>`.
 */
@Injectable()
export class ReadinessIndicator {
  constructor(private readonly indicators: HealthIndicatorService) {}

  async check(name: string, probe: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(name);
    try {
      await probe();
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: err instanceof Error ? err.message : String(err) });
    }
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
