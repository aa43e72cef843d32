import { KafkaJSError, KafkaJSProtocolError } from 'kafkajs';

/** The coordinator's answers that mean this member is to rejoin the group (or already left it). */
const REJOIN = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'FENCED_INSTANCE_ID',
]);

/** True when a heartbeat's failure says the group is rebalancing: the member must rejoin soon. */
export function isRebalance(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 10 && e instanceof KafkaJSError; depth++) {
    if (e instanceof KafkaJSProtocolError && REJOIN.has(e.type)) return true;
    if (e.cause === e) break;
    e = e.cause;
  }
  return false;
}

/**
 * Keeps a member's session alive while one of its batches is being worked. kafkajs heartbeats only
 * between batches, so a handler that runs longer than the session timeout would have the coordinator
 * drop the member and give its partitions — this batch included, uncommitted — to another member.
 * While the batch is in hand this heartbeats every `everyMs` (kafkajs shares one request among
 * concurrent callers and skips it when one was sent within its heartbeat interval).
 *
 * A heartbeat answered "rebalancing" is remembered, not thrown: the batch in hand still finishes and
 * commits (the coordinator accepts commits of the current generation while it waits for members to
 * rejoin), and kafkajs's own heartbeat after the batch then rejoins. Any other heartbeat failure is
 * left to that same heartbeat after the batch, which kafkajs handles (reconnect, find the coordinator).
 */
export class BatchHeartbeat {
  private rebalance = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly heartbeat: () => Promise<void>,
    everyMs: number,
    /** True once the batch is no longer this member's to work: no more heartbeats for it. */
    private readonly revoked: () => boolean,
  ) {
    this.timer = setInterval(() => void this.beat(), everyMs);
    this.timer.unref();
  }

  /** The group started rebalancing while the batch was in hand. */
  get rebalancing(): boolean {
    return this.rebalance;
  }

  /** One heartbeat now (skipped by kafkajs if one went out within its interval); never throws. */
  async beat(): Promise<void> {
    if (this.revoked()) return;
    try {
      await this.heartbeat();
    } catch (error) {
      if (isRebalance(error)) this.rebalance = true;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
