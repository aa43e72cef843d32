import { Logger } from '@nestjs/common';
import { ForgetSettledBatches, type RetentionPass } from '@sparkflow/audit-store';

const DAY_MS = 86_400_000;
/** A long pass says how far it got at most this often. */
const PROGRESS_EVERY_MS = 10_000;
/**
 * How often a pass also looks for rows filed under no registration (`PassOptions.unregistered`): at the
 * first pass, then once a day. Those rows wait up to a day more than a batch for retention.
 */
const UNREGISTERED_EVERY_MS = DAY_MS;

const summary = (p: Readonly<RetentionPass>) =>
  `${p.forgottenBatches} batches and ${p.forgottenRows} rows forgotten, ${p.kept} kept (not complete, a ` +
  `row recorded since, or not reached), of ${p.examined} registered before ${p.before}` +
  (p.forgottenUnregistered
    ? `; of the rows, quiet events' filed under ${p.forgottenUnregistered} batch ids no registration names`
    : '');

/**
 * Runs the audit's retention (ADR 27) at start and every `everyMs`: one pass at a time per process, and
 * one across replicas (the others find its lock held and wait for their next turn). A pass that fails is
 * reported and tried again at the next turn; it never stops the service. The first pass, and then one a
 * day, also forgets the rows filed under no registration (UNREGISTERED_EVERY_MS). `stop` ends the pass in
 * hand after the group it is deleting, waits for it, and starts no other.
 */
export class AuditRetention {
  private readonly log = new Logger('retention');
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private readonly stopping = new AbortController();
  private unregisteredLookedAt: number | null = null;

  constructor(
    private readonly forget: ForgetSettledBatches,
    private readonly days: number,
    private readonly everyMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.days === 0) {
      this.log.log('retention off (AUDIT_RETENTION_DAYS=0): every batch is kept');
      return;
    }
    this.log.log(
      `retention: a complete batch is forgotten ${this.days} days after its last row arrived; checked now ` +
        `and every ${this.everyMs / 1000} s`,
    );
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.everyMs);
    this.timer.unref();
  }

  /** One pass, unless one is running; resolves when it ends, failed or not. */
  runOnce(): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  private async pass(): Promise<void> {
    const started = this.now();
    let said = started;
    const last: { sofar?: Readonly<RetentionPass> } = {};
    const unregistered =
      this.unregisteredLookedAt === null || started - this.unregisteredLookedAt >= UNREGISTERED_EVERY_MS;
    try {
      const pass = await this.forget.execute(new Date(started - this.days * DAY_MS), {
        signal: this.stopping.signal,
        unregistered,
        progress: (p) => {
          last.sofar = p;
          if (this.now() - said < PROGRESS_EVERY_MS) return;
          said = this.now();
          this.log.log(`retention: so far ${summary(p)}`);
        },
      });
      if (pass && unregistered) this.unregisteredLookedAt = started;
      if (!pass) this.log.debug('retention: another replica is running a pass; this one waits its turn');
      else if (pass.examined || pass.forgottenUnregistered)
        this.log.log(`retention: ${summary(pass)}, in ${this.now() - started} ms`);
    } catch (err) {
      const done = last.sofar ? ` (before it failed: ${summary(last.sofar)})` : '';
      this.log.warn(
        `retention: the pass failed, and runs again in ${this.everyMs / 1000} s: ${(err as Error).message}${done}`,
      );
    }
  }
}
