import { Controller, Get, Inject, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { READINESS_CHECKS, ReadinessIndicator, type ReadinessChecks } from './readiness.indicator';

/**
 * What every service's module imports for its `HealthController`: Terminus's HealthCheckService and the
 * readiness indicator. Terminus's own logger is off: a 503 answers a probe, it is not an error, and what
 * takes a dependency down is logged where it happens (the consumer's watchdog and retry notices), not
 * once per probe.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [ReadinessIndicator],
  exports: [TerminusModule, ReadinessIndicator],
})
export class ServiceHealthModule {}

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessIndicator,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessChecks,
  ) {}

  /**
   * The process answers HTTP. It asks no dependency: a dependency that is down makes the service
   * unready, not dead, and restarting the process (what a failed liveness probe does) would not bring
   * Cassandra back.
   */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * 200 `{status: 'ok', info, error: {}, details}` when every readiness check is up; otherwise 503
   * `{status: 'error', …, error: {<check>: {status: 'down', message}}}` naming each dependency that is
   * down and why.
   */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  ready(): Promise<HealthCheckResult> {
    return this.health.check(
      Object.entries(this.checks).map(
        ([name, probe]) =>
          () =>
            this.readiness.check(name, probe),
      ),
    );
  }
}
