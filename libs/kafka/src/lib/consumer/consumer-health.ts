/**
 * What a service's readiness probe knows about its Kafka consumer: that it is consuming, or why not
 * (not started yet, being replaced by the watchdog, given up on by kafkajs, stopped). The consumer
 * reports; `/health/ready` asks.
 */
export class ConsumerHealth {
  private problem: string | null = 'not started';

  report(problem: string | null): void {
    this.problem = problem;
  }

  /** Resolves while the consumer is consuming; rejects with the reason otherwise. */
  async check(): Promise<void> {
    if (this.problem) throw new Error(this.problem);
  }
}
