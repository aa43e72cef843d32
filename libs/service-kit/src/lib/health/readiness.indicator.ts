import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { createKafka, kafkaOrigin } from '@sparkflow/kafka';
import { DeadlineExceeded, withDeadline } from './deadline';

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
 * How long one readiness check may take before it is reported down (`no answer within … ms`). The checks
 * run at once, so this bounds the whole `/health/ready` answer too: a dependency that does not answer
 * makes the service unready, it must not leave its readiness probe unanswered (the native stack's status
 * waits 2 s, Kubernetes 3 s, HAProxy 5 s). It is not tighter because on a busy machine a healthy round
 * trip has taken over a second, and a false 503 takes a replica out of HAProxy.
 */
export const READINESS_TIMEOUT_MS = 1750;

/**
 * How long the Kafka check waits for its round trip: within `READINESS_TIMEOUT_MS`, so that its own
 * reason, naming the brokers, is the one reported.
 */
export const KAFKA_READY_TIMEOUT_MS = 1500;

/**
 * A Terminus health indicator over one named readiness probe: `{status: 'up'}`, or `{status: 'down',
 * message}` with the probe's own reason, which the 503 body carries under `error.<name>`.
 */
@Injectable()
export class ReadinessIndicator {
  constructor(private readonly indicators: HealthIndicatorService) {}

  async check(
    name: string,
    probe: () => Promise<unknown>,
    timeoutMs = READINESS_TIMEOUT_MS,
  ): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(name);
    try {
      await withDeadline(Promise.resolve().then(probe), timeoutMs, `no answer within ${timeoutMs} ms`);
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }
}

/** What `kafkaReady` needs of a client: kafkajs's `Kafka`, or anything with its `admin()`. */
export interface KafkaAdminSource {
  admin(): { connect(): Promise<void>; describeCluster(): Promise<unknown>; disconnect(): Promise<void> };
}

/**
 * Readiness probe of a Kafka client: a metadata round trip to the cluster (connect, sign in, describe
 * the cluster) on a connection of its own, so that nothing cached answers for a broker that is gone.
 *
 * The service's client waits and retries for over a minute before it gives up on a broker, which is right
 * for its producer and consumer and wrong for a probe. For a client made by `createKafka` the probe uses
 * a client of its own for the same brokers and principal that tries each broker once, with a short
 * connection timeout and the probe's deadline as request timeout, and logs nothing (its failure is the
 * probe's answer). Whatever the client, the probe rejects after `timeoutMs` naming the brokers; an
 * attempt still under way then is disconnected when it ends.
 */
export function kafkaReady(kafka: KafkaAdminSource, timeoutMs = KAFKA_READY_TIMEOUT_MS) {
  const origin = kafkaOrigin(kafka);
  const brokers = origin ? origin.settings.brokers.join(',') : 'its brokers';
  const client: KafkaAdminSource = origin
    ? createKafka(origin.settings, () => undefined, {
        connectionTimeoutMs: Math.min(500, timeoutMs),
        authenticationTimeoutMs: timeoutMs,
        requestTimeoutMs: timeoutMs,
        retries: origin.settings.brokers.length - 1,
        initialRetryTimeMs: 50,
      })
    : kafka;
  return async () => {
    const admin = client.admin();
    const attempt = (async () => {
      await admin.connect();
      return admin.describeCluster();
    })();
    void attempt.then(
      () => admin.disconnect().catch(() => undefined),
      () => admin.disconnect().catch(() => undefined),
    );
    try {
      return await withDeadline(
        attempt,
        timeoutMs,
        `no answer from Kafka at ${brokers} within ${timeoutMs} ms`,
      );
    } catch (err) {
      if (err instanceof DeadlineExceeded) throw err;
      throw new Error(`Kafka at ${brokers}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
