import { CliError, ComponentDownError, rootReason, type ComponentLabel } from '../errors';

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
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new ComponentDownError(component, base, rootReason(err));
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
    const hint = res.status === 401 && KEY_SETTING[component] ? `\n  The key sent is not one it accepts: set ${KEY_SETTING[component]}.` : '';
    throw new CliError(
      `${component} answered ${init.method ?? 'GET'} ${path} with HTTP ${res.status}: ${detail}${hint}`,
    );
  }
  return { status: res.status, body: body as T };
}
