/**
 * What a service's readiness probe knows about its Kafka consumer: that it is consuming, or why not
 * (not started yet, being replaced by the watchdog, given up on by kafkajs, stopped), and which of its
 * partitions are stalled (records waiting behind a committed offset that has not moved for the
 * watchdog's `stallAfterMs`). The consumer reports; `/health/ready` asks.
 */
export class ConsumerHealth {
  private problem: string | null = 'not started';
  private stalled: readonly string[] = [];

  report(problem: string | null): void {
    this.problem = problem;
  }

  /** The stalled partitions, each described; an empty list once they all move again. */
  reportStalled(partitions: readonly string[]): void {
    this.stalled = partitions;
  }

  /** Resolves while the consumer is consuming and no partition is stalled; rejects with the reasons otherwise. */
  async check(): Promise<void> {
    const reasons = [
      ...(this.problem ? [this.problem] : []),
      ...(this.stalled.length ? [`stalled: ${this.stalled.join('; ')}`] : []),
    ];
    if (reasons.length) throw new Error(reasons.join('; '));
  }
}
