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
   * The process answers HTTP. Deliberately not a HealthCheckService check: those turn 503 while the
   * application shuts down, and a failing liveness probe would have Kubernetes kill a pod that is
   * finishing its batch.
   */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * 200 `{status: 'ok', info, error: {}, details}` when every readiness check is up; otherwise 503
   * `{status: 'error', …, error: {<check>: {status: 'down', message}}}` naming each dependency that is
   * down and why, and 503 `{status: 'shutting_down'}` once the service has begun to stop.
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
