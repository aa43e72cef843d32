import { z } from 'zod';

const IndicatorResult = z.looseObject({ status: z.string(), message: z.string().optional() });

/**
 * Every service's `GET /health/ready` (Terminus's health check result): 200 with `status: 'ok'`, or 503
 * with `status: 'error'` and, under `error`, each readiness check that is down with its `message`
 * (Terminus may also answer `status: 'shutting_down'` once its own shutdown hook has run, late in a
 * stop: after the service's own hooks, before the HTTP server closes). `sparkflow top`, the native stack's
 * `status` and the bench read it through `readinessProblems`.
 */
export const ReadinessBody = z.looseObject({
  status: z.enum(['ok', 'error', 'shutting_down']),
  info: z.record(z.string(), IndicatorResult).optional(),
  error: z.record(z.string(), IndicatorResult).optional(),
  details: z.record(z.string(), IndicatorResult).optional(),
});
export type ReadinessBody = z.infer<typeof ReadinessBody>;

/**
 * What keeps a service from being ready, from the text of its `/health/ready` answer: `''` when it is
 * ready, otherwise each check that is down and why (`consumer: not started; kafka: Connection timeout`),
 * `shutting down`, or, for a body that is not a readiness answer, the body itself cut to 200 characters.
 */
export function readinessProblems(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = ReadinessBody.safeParse(json);
  if (!parsed.success) return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  const body = parsed.data;
  if (body.status === 'shutting_down') return 'shutting down';
  return Object.entries(body.details ?? body.error ?? {})
    .filter(([, r]) => r.status !== 'up')
    .map(([name, r]) => `${name}: ${r.message ?? r.status}`)
    .join('; ');
}
