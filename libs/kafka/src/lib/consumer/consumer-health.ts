/**
 * What a service's readiness probe knows about its Kafka consumer: that it is consuming, or why not
 * (not started yet, being replaced by the watchdog, given up on by kafkajs, stopped), and which of its
 * partitions are stalled (records waiting behind a committed offset that has not moved for the
 * watchdog's `stallAfterMs`). The consumer reports; `/health/ready` asks.
 */
export class ConsumerHealth {
  private problem: string | null = 'not started';
  /** Partitions whose records wait for a dependency to come back, and why. */
  private readonly outages = new Map<string, string>();
  private stalled: readonly string[] = [];

  report(problem: string | null): void {
    this.problem = problem;
  }

  /** A partition is waiting out an outage (`description`), or no longer (null). */
  outage(partition: string, description: string | null): void {
    if (description === null) this.outages.delete(partition);
    else this.outages.set(partition, description);
  }

  /** The stalled partitions, each described; an empty list once they all move again. */
  reportStalled(partitions: readonly string[]): void {
    this.stalled = partitions;
  }

  /**
   * Resolves while the consumer is consuming, no partition waits out an outage and none is stalled;
   * rejects with the reasons otherwise.
   */
  async check(): Promise<void> {
    const [outage] = this.outages.values();
    const reasons = [
      ...(this.problem ? [this.problem] : []),
      ...(outage === undefined
        ? []
        : [this.outages.size > 1 ? `${outage} (and ${this.outages.size - 1} more partition(s))` : outage]),
      ...(this.stalled.length ? [`stalled: ${this.stalled.join('; ')}`] : []),
    ];
    if (reasons.length) throw new Error(reasons.join('; '));
  }
}
