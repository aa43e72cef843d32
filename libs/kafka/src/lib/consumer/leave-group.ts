import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';

/** The part of kafkajs's internal cluster this module uses. */
interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(request: { groupId: string }): Promise<{
    leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
  }>;
}

type CreateCluster = (options: Record<string, unknown>) => KafkajsCluster;

/**
 * kafkajs's own factory of the cluster its clients talk through (brokers, SASL, TLS, socket factory and
 * retry of the `Kafka` it was made from), kept under a private symbol; null when this version of kafkajs
 * has none. kafkajs has no public call that removes a given member from a group, so this is the one place
 * libs/kafka reaches into it.
 */
export function kafkajsClusterFactory(kafka: Kafka): CreateCluster | null {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const factory: unknown = symbol && (kafka as unknown as Record<symbol, unknown>)[symbol];
  return typeof factory === 'function' ? (factory as CreateCluster) : null;
}

export type LeaveOutcome = 'left' | 'already gone' | 'gave up' | 'unsupported';

export interface LeaveOnBehalfOptions {
  /** Stop trying after this long: by then the coordinator has expired the member's session itself. */
  giveUpAfterMs: number;
  retryEveryMs?: number;
  /** Checked between tries; true stops them. */
  cancelled?: () => boolean;
}

/**
 * Sends a LeaveGroup for `memberId` to the group's coordinator as it is now, and tries again (finding the
 * coordinator anew each time) until the coordinator answers: the member left, or it was not a member any
 * more. Used for the member id of a kafkajs consumer that crashed: kafkajs sends that consumer's
 * LeaveGroup to the coordinator it found at its last join, ignores the failure when that broker is gone,
 * and rejoins under a new member id. The coordinator that took the group over still counts the old id
 * and holds every rebalance until its session times out; the group consumes nothing meanwhile.
 */
export async function leaveOnBehalf(
  kafka: Kafka,
  groupId: string,
  memberId: string,
  options: LeaveOnBehalfOptions,
): Promise<LeaveOutcome> {
  const createCluster = kafkajsClusterFactory(kafka);
  if (!createCluster) return 'unsupported';
  const giveUpAt = Date.now() + options.giveUpAfterMs;
  const cluster = createCluster({});
  try {
    for (;;) {
      try {
        await cluster.connect();
        const coordinator = await cluster.findGroupCoordinator({ groupId });
        await coordinator.leaveGroup({ groupId, memberId });
        return 'left';
      } catch (error) {
        if ((error as { type?: string }).type === 'UNKNOWN_MEMBER_ID') return 'already gone';
      }
      if (options.cancelled?.() || Date.now() >= giveUpAt) return 'gave up';
      await sleep(options.retryEveryMs ?? 500);
    }
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}
