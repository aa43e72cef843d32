import { NO_ROUTE_REASON_PATH, SparkflowErrorCode } from '@sparkflow/contracts';
import { CliError, unanswered, type ComponentLabel } from '../errors';

/** How long an API call may take before the CLI gives up on it. */
const API_TIMEOUT_MS = 15_000;

/** Where the key an API refused comes from, so a 401 says what to change. */
const KEY_SETTING: Partial<Record<ComponentLabel, string>> = {
  'ingestion API': 'INGESTION_API_KEYS',
  'audit API': 'AUDIT_API_KEYS or --audit-key',
};

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** One HTTP call to a SparkFlow API; a refused connection becomes "start the stack", an error body is shown as sent. */
export async function callApi<T>(
  component: ComponentLabel,
  base: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; okStatuses?: number[] } = {},
): Promise<ApiResponse<T>> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
    });
  } catch (err) {
    throw unanswered(component, base, API_TIMEOUT_MS, err);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  const ok = init.okStatuses ?? [200, 201, 202];
  if (!ok.includes(res.status)) {
    const detail = typeof body === 'string' ? body : JSON.stringify(body);
    const hint =
      res.status === 401 && KEY_SETTING[component]
        ? `\n  The key sent is not one it accepts: set ${KEY_SETTING[component]}.`
        : '';
    throw new CliError(
      `${component} answered ${init.method ?? 'GET'} ${path} with HTTP ${res.status}: ${detail}${hint}`,
    );
  }
  return { status: res.status, body: body as T };
}

/** Where the audit is asked, and the setting that address came from. */
export interface AuditAddress {
  readonly auditUrl: string;
  readonly auditUrlSetting: string;
  readonly auditKey: string;
}

/**
 * The audit's answer for one entity, or null when the audit says it has none: a 404 whose JSON body
 * carries `code: "NOT_FOUND"` for the entity. Any other 404 (a route it does not serve, a body that is not
 * its JSON) is something else answering at that address, so the setting it came from is named instead of
 * "absent".
 */
export async function auditEntity<T>(audit: AuditAddress, path: string): Promise<T | null> {
  const answer = await auditAnswer<T>(audit, path);
  return 'found' in answer ? answer.found : null;
}

/**
 * The audit's answer for one entity; when the audit says it has none, a failure in the audit's own words
 * (which say what its retention may have forgotten), else `notFound`, followed by `hint`.
 */
export async function auditEntityOrFail<T>(
  audit: AuditAddress,
  path: string,
  notFound: string,
  hint = '',
): Promise<T> {
  const answer = await auditAnswer<T>(audit, path);
  if ('found' in answer) return answer.found;
  throw new CliError(`${answer.message ?? notFound}${hint}`);
}

async function auditAnswer<T>(
  audit: AuditAddress,
  path: string,
): Promise<{ found: T } | { message: string | null }> {
  const { status, body } = await askAudit<T>(audit, path);
  if (status !== 404) return { found: body };
  if (!isNotFound(body)) throw wrongAuditAddress(audit, path, body);
  const { message } = body as { message?: unknown };
  return { message: typeof message === 'string' && message ? message : null };
}

/** The audit's answer for a route it always serves (a list): any 404 is something else at that address. */
export async function auditList<T>(audit: AuditAddress, path: string): Promise<T> {
  const { status, body } = await askAudit<T>(audit, path);
  if (status === 404) throw wrongAuditAddress(audit, path, body);
  return body;
}

function askAudit<T>(audit: AuditAddress, path: string): Promise<ApiResponse<T>> {
  return callApi<T>('audit API', audit.auditUrl, path, {
    headers: { 'x-api-key': audit.auditKey },
    okStatuses: [200, 404],
  });
}

function wrongAuditAddress(audit: AuditAddress, path: string, body: unknown): CliError {
  const detail = typeof body === 'string' ? body : JSON.stringify(body);
  return new CliError(
    `the audit API's address looks wrong: GET ${audit.auditUrl}${path} answered HTTP 404 ` +
      `${detail.slice(0, 300)}, not the audit's "not found".\n` +
      `  Check ${audit.auditUrlSetting} (it gave ${audit.auditUrl}): the audit's base URL, without /v1 ` +
      `(e.g. http://127.0.0.1:3003), on the audit's port, not another service's.`,
  );
}

/**
 * The audit's "I do not have it": a JSON object whose `code` is `NOT_FOUND`, and not the `NOT_FOUND` every
 * service answers a request no route takes, whose reason names the request's path (`NO_ROUTE_REASON_PATH`)
 * where the audit's names the entity's parameter.
 */
function isNotFound(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const { code, reasons } = body as { code?: unknown; reasons?: unknown };
  const noRoute =
    Array.isArray(reasons) &&
    reasons.some((r) => (r as { path?: unknown } | null)?.path === NO_ROUTE_REASON_PATH);
  return code === SparkflowErrorCode.NotFound && !noRoute;
}
