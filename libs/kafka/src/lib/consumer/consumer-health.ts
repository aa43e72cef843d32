/**
 * What a service's readiness probe knows about its Kafka consumer: that it is consuming, or why not
 * (not started yet, being replaced by the watchdog, given up on by kafkajs, stopped). The consumer
 * reports; `/health/ready` asks.
 */
export class ConsumerHealth {
  private problem: string | null = 'not started';
  /** Partitions whose records wait for a dependency to come back, and why. */
  private readonly outages = new Map<string, string>();

  report(problem: string | null): void {
    this.problem = problem;
  }

  /** A partition is waiting out an outage (`description`), or no longer (null). */
  outage(partition: string, description: string | null): void {
    if (description === null) this.outages.delete(partition);
    else this.outages.set(partition, description);
  }

  /** Resolves while the consumer is consuming; rejects with the reason otherwise. */
  async check(): Promise<void> {
    if (this.problem) throw new Error(this.problem);
    const [first] = this.outages.values();
    if (first !== undefined) {
      throw new Error(this.outages.size > 1 ? `${first} (and ${this.outages.size - 1} more partition(s))` : first);
    }
  }
}
