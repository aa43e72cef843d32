/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A failure the CLI explains in one message; `exitCode` says whether it was the user's input (2) or the world (1). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

export type ComponentLabel = 'Kafka' | 'Cassandra' | 'ingestion API' | 'audit API';

const STACK_NAME: Record<ComponentLabel, string> = {
  Kafka: 'kafka',
  Cassandra: 'cassandra',
  'ingestion API': 'ingestion',
  'audit API': 'audit',
};

/** A component of the stack did not answer: say which, where, why, and how to start it. */
export class ComponentDownError extends CliError {
  constructor(
    readonly component: ComponentLabel,
    readonly address: string,
    reason: string,
  ) {
    super(
      `${component} is not reachable at ${address} (${reason}).\n` +
        `  Start the stack with \`npx sparkflow stack up\` (or just this part: \`npx sparkflow stack up ${STACK_NAME[component]}\`);\n` +
        `  \`npx sparkflow stack status\` shows what is running. Other ports? Set the same variables the stack uses (see \`npx sparkflow help\`).`,
      EXIT.failure,
    );
    this.name = 'ComponentDownError';
  }
}

/**
 * Whether `e` is an error, from any realm: fetch's errors and DOMExceptions are made by Node's own code,
 * which a test sandbox's `Error` is not the class of.
 */
const isError = (e: unknown): e is Error & { cause?: unknown; code?: unknown; errors?: unknown } =>
  e instanceof Error ||
  (typeof e === 'object' &&
    e !== null &&
    typeof (e as Error).message === 'string' &&
    typeof (e as Error).name === 'string');

/** The settings each service's address comes from, to name when the address cannot be used. */
export const ADDRESS_SETTINGS: Readonly<Record<string, string>> = {
  ingestion: 'INGESTION_URL or INGESTION_HTTP_PORT',
  enrichment: 'ENRICHMENT_URL or ENRICHMENT_HTTP_PORT',
  persistence: 'PERSISTENCE_URL or PERSISTENCE_HTTP_PORT',
  audit: 'AUDIT_URL or AUDIT_HTTP_PORT',
};

/**
 * Why an HTTP request to `address` got no answer, in words, or null when it is the component being down.
 * Node's fetch never connects to a port the Fetch standard blocks (6000, 6665–6669, 10080 and others:
 * https://fetch.spec.whatwg.org/#port-blocking) and says only "bad port"; starting the stack would not help.
 */
export function unusableAddress(address: string, err: unknown): string | null {
  if (rootReason(err) !== 'bad port') return null;
  return `Node's HTTP client refuses port ${new URL(address).port}, one the Fetch standard blocks (https://fetch.spec.whatwg.org/#port-blocking)`;
}

/**
 * The error of an HTTP request to a SparkFlow API that got no answer: a port it cannot be asked on is a
 * setting to change (exit 2, naming it); a request that timed out names the time; anything else is the
 * component being down.
 */
export function unanswered(
  component: ComponentLabel,
  address: string,
  timeoutMs: number,
  err: unknown,
): CliError {
  const unusable = unusableAddress(address, err);
  if (unusable) {
    const settings = ADDRESS_SETTINGS[STACK_NAME[component]] ?? 'its address setting';
    return new UsageError(
      `${component} at ${address} cannot be asked: ${unusable}. Serve it on another port and set ${settings}.`,
    );
  }
  if (isError(err) && err.name === 'TimeoutError')
    return new CliError(
      `${component} at ${address} did not answer within ${timeoutMs / 1000} s.\n` +
        `  \`npx sparkflow stack status\` shows whether it is running and ready; \`npx sparkflow top\` shows how busy it is.`,
    );
  return new ComponentDownError(component, address, rootReason(err));
}

/** The innermost message of an error chain: `fetch failed` says little, its cause `ECONNREFUSED` says it all. */
export function rootReason(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 5 && isError(e) && isError(e.cause); i++) e = e.cause;
  if (isError(e) && Array.isArray(e.errors) && e.errors.length) e = e.errors[0];
  if (isError(e)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
