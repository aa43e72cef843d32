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

/** The innermost message of an error chain: `fetch failed` says little, its cause `ECONNREFUSED` says it all. */
export function rootReason(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 5 && e instanceof Error && e.cause instanceof Error; i++) e = e.cause;
  if (e instanceof AggregateError && e.errors.length) e = e.errors[0];
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
