/**
 * Runs an async `sample` every `everyMs`, one at a time: a tick that finds the last sample still running
 * is skipped, so a slow sample neither overlaps the next nor piles up a backlog. `stop` waits for the
 * sample under way, so what it read is in.
 */
export class Every {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly sample: () => Promise<void>,
  ) {}

  start(): this {
    this.timer = setInterval(() => {
      this.running ??= this.sample().finally(() => (this.running = undefined));
    }, this.everyMs);
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
