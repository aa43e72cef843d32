/**
 * One case of the bad-input corpus (fixtures/bad-input.json): what arrives on which channel, and the
 * outcome SparkFlow owes it. Written by scripts/build-bad-input.ts, read by bad-input.integration-spec.ts.
 */
export interface BadInputCase {
  name: string;
  channel: 'http' | 'users.raw' | 'users.enriched';
  /** JSON body or record value; `bytesBase64` when the bytes are not text. */
  body?: unknown;
  text?: string;
  bytesBase64?: string;
  /** Wrap `body` in a valid envelope (Kafka channels). */
  envelope?: boolean;
  headers?: Record<string, string>;
  /** Built at send time to keep the fixture small: a body nested this deep … */
  nestingDepth?: number;
  /** … or `body` with a first name of this many characters. */
  padFirstNameTo?: number;
  /** One of: an HTTP status, a dead letter with its reason code and field, or the stored row. */
  expect: {
    status?: number;
    deadLetter?: { code: string; path?: string; stage: string };
    stored?: Record<string, unknown>;
  };
}
