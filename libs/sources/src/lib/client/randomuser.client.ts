import pRetry, { AbortError } from 'p-retry';
import { type RandomUser, RandomUserResponse } from '@sparkflow/contracts';
import { SourceError } from './source.error';

export interface RandomUserClientOptions {
  /** Default 'https://randomuser.me/api/'. Query parameters already on it are kept. */
  baseUrl?: string;
  /** Per attempt, covering both the headers and the body. Default 10000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Minimum spacing between the starts of two requests, retries included. Default 1000. */
  minIntervalMs?: number;
  /** The API's cap on `results` per request. Default 5000. */
  maxResultsPerRequest?: number;
}

export interface RandomUserClientDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Clock for the rate limit; a test that fakes `sleep` fakes this with it. Default Date.now. */
  now?: () => number;
}

export interface PageQuery {
  results: number;
  seed?: string;
  page?: number;
  nat?: string[];
}

const DEFAULTS = {
  baseUrl: 'https://randomuser.me/api/',
  timeoutMs: 10_000,
  maxRetries: 4,
  minIntervalMs: 1_000,
  maxResultsPerRequest: 5_000,
} as const;
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 30_000;
const MAX_LISTED_ISSUES = 10;

type Attempt =
  { ok: true; body: RandomUserResponse } | { ok: false; error: SourceError; retryAfterMs?: number };

/** A client for randomuser.me or anything that answers like it (the fixture server, a mirror). */
export class RandomUserClient {
  private readonly options: Required<RandomUserClientOptions>;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private nextSlotAt = Number.NEGATIVE_INFINITY;

  constructor(opts: RandomUserClientOptions, deps: RandomUserClientDeps = {}) {
    this.options = { ...DEFAULTS, ...definedOnly(opts) };
    const { timeoutMs, maxRetries, minIntervalMs, maxResultsPerRequest } = this.options;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    if (!Number.isInteger(maxRetries) || maxRetries < 0)
      throw new RangeError(`maxRetries must be an integer >= 0, got ${maxRetries}`);
    if (!(minIntervalMs >= 0)) throw new RangeError(`minIntervalMs must be >= 0, got ${minIntervalMs}`);
    if (!Number.isInteger(maxResultsPerRequest) || maxResultsPerRequest < 1) {
      throw new RangeError(`maxResultsPerRequest must be an integer >= 1, got ${maxResultsPerRequest}`);
    }
    this.fetchFn = deps.fetch ?? fetch;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = deps.now ?? Date.now;
  }

  /**
   * One request: GET baseUrl?results=N&seed=S&page=P&nat=a,b, validated with RandomUserResponse.
   * Retries 429, 5xx, timeouts and network errors (p-retry, `maxRetries` times) with exponential
   * backoff and jitter capped at 30 s (at least Retry-After when the server sends it); never other 4xx
   * or an unusable body (an AbortError), which would only come back the same.
   */
  async fetchPage(q: PageQuery): Promise<RandomUserResponse> {
    const { maxResultsPerRequest, maxRetries } = this.options;
    if (!Number.isInteger(q.results) || q.results < 1 || q.results > maxResultsPerRequest) {
      throw new RangeError(`results must be an integer in 1..${maxResultsPerRequest}, got ${q.results}`);
    }
    const url = this.urlFor(q);
    let attempts = 0;
    let retryAfterMs: number | undefined;
    try {
      return await pRetry(
        async (attempt) => {
          attempts = attempt;
          await this.waitForSlot();
          let outcome: Attempt;
          try {
            outcome = await this.attempt(url, q.results);
          } catch (unexpected) {
            // Not a failure of the source (those come back as outcomes): nothing to retry.
            throw new AbortError(unexpected instanceof Error ? unexpected : String(unexpected));
          }
          if (outcome.ok) return outcome.body;
          retryAfterMs = outcome.retryAfterMs;
          throw outcome.error.retriable ? outcome.error : new AbortError(outcome.error);
        },
        {
          retries: maxRetries,
          // p-retry decides whether another attempt follows; the wait goes through the client's own
          // `sleep` and clock (the ones that space requests), so p-retry's timer is not used.
          minTimeout: 0,
          onFailedAttempt: async ({ retriesConsumed, retriesLeft }) => {
            if (retriesLeft > 0) await this.sleep(Math.max(backoffMs(retriesConsumed), retryAfterMs ?? 0));
          },
        },
      );
    } catch (err) {
      // A retriable failure only gets out of p-retry once every attempt was spent.
      if (err instanceof SourceError && err.retriable) {
        throw new SourceError(`${err.message} (gave up after ${attempts} attempts)`, true, { cause: err });
      }
      throw err;
    }
  }

  /**
   * `count` users in as few requests as possible: pages of maxResultsPerRequest, all with the same
   * seed and pages 1..n, so a rerun with the same seed returns the same people.
   */
  async fetchUsers(q: { count: number; seed: string; nat?: string[] }): Promise<RandomUser[]> {
    const users: RandomUser[] = [];
    for await (const page of this.pages(q)) users.push(...page);
    return users;
  }

  /** The same pages as fetchUsers, one at a time, so a caller holds one page in memory, not all of them. */
  async *pages(q: { count: number; seed: string; nat?: string[] }): AsyncGenerator<RandomUser[]> {
    if (!Number.isInteger(q.count) || q.count < 0)
      throw new RangeError(`count must be an integer >= 0, got ${q.count}`);
    const perPage = this.options.maxResultsPerRequest;
    for (let page = 1, fetched = 0; fetched < q.count; page++) {
      const results = Math.min(perPage, q.count - fetched);
      const body = await this.fetchPage({ results, seed: q.seed, page, nat: q.nat });
      fetched += body.results.length;
      yield body.results;
    }
  }

  private urlFor(q: PageQuery): URL {
    const url = new URL(this.options.baseUrl);
    url.searchParams.set('results', String(q.results));
    if (q.seed !== undefined) url.searchParams.set('seed', q.seed);
    if (q.page !== undefined) url.searchParams.set('page', String(q.page));
    if (q.nat !== undefined && q.nat.length > 0) url.searchParams.set('nat', q.nat.join(','));
    return url;
  }

  // The slot is reserved before sleeping, so concurrent callers queue up instead of all waking at once.
  private async waitForSlot(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlotAt);
    this.nextSlotAt = slot + this.options.minIntervalMs;
    if (slot > now) await this.sleep(slot - now);
  }

  private async attempt(url: URL, expected: number): Promise<Attempt> {
    const where = `GET ${url.href}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    let status: number;
    let statusText: string;
    let retryAfter: string | null;
    let text: string;
    try {
      const res = await this.fetchFn(url, {
        signal: controller.signal,
        headers: { accept: 'application/json' },
      });
      ({ status, statusText } = res);
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (cause) {
      const message = controller.signal.aborted
        ? `${where} timed out after ${this.options.timeoutMs} ms`
        : `${where} failed: ${describeNetworkError(cause)}`;
      return { ok: false, error: new SourceError(message, true, { cause }) };
    } finally {
      clearTimeout(timer);
    }

    if (status < 200 || status >= 300) {
      const retriable = status === 429 || status >= 500;
      const body = snippet(text);
      const error = new SourceError(
        `${where} answered HTTP ${status} ${statusText}${body ? `: ${body}` : ''}`,
        retriable,
      );
      return { ok: false, error, retryAfterMs: parseRetryAfter(retryAfter, this.now()) };
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      return {
        ok: false,
        error: new SourceError(`${where} answered a body that is not JSON: ${snippet(text)}`, false, {
          cause,
        }),
      };
    }
    const parsed = RandomUserResponse.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues;
      const listed = issues
        .slice(0, MAX_LISTED_ISSUES)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      if (issues.length > MAX_LISTED_ISSUES) listed.push(`and ${issues.length - MAX_LISTED_ISSUES} more`);
      const error = new SourceError(
        `${where} answered a body that is not a randomuser response: ${listed.join('; ')}`,
        false,
        {
          cause: parsed.error,
        },
      );
      return { ok: false, error };
    }
    if (parsed.data.results.length !== expected) {
      const error = new SourceError(
        `${where} answered ${parsed.data.results.length} users, ${expected} were asked for`,
        false,
      );
      return { ok: false, error };
    }
    return { ok: true, body: parsed.data };
  }
}

/** Full-jitter-lite: uniformly within the upper half of the exponential step, so retries spread out but still grow. */
function backoffMs(attempt: number): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(step / 2 + Math.random() * (step / 2));
}

/** Retry-After is either delta-seconds or an HTTP date. */
function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describeNetworkError(error: unknown): string {
  // undici reports "fetch failed" and puts the useful part (ECONNREFUSED, ECONNRESET, …) in `cause`.
  // Duck-typed, not instanceof: under Jest the error comes from another realm.
  const cause = hasMessage(error) && hasMessage(error.cause) ? error.cause : error;
  if (!hasMessage(cause)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} ${cause.message}` : cause.message;
}

function hasMessage(value: unknown): value is { message: string; cause?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
