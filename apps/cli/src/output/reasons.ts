import { visible } from './output';

/**
 * A reason of SparkFlow's error model (`{code, message, path}`) as a client receives it: in a dead letter,
 * in the audit's history, in a refusal's `reasons` (or `errors`, without codes). Any field may be missing.
 */
export interface ReasonLike {
  code?: unknown;
  message?: unknown;
  path?: unknown;
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : visible(String(v)));

/**
 * The part a reason names, or null when it names none: `path: ""` is the whole body, and `null` (or no path
 * at all) no part of it. Such a reason is shown as its message alone, never after an empty name (`: …`).
 */
export function reasonPath(r: ReasonLike): string | null {
  return typeof r.path === 'string' && r.path !== '' ? r.path : null;
}

/** `CODE path message`, or `CODE message` for a reason that names no part (users get, dlq show). */
export function reasonWords(r: ReasonLike, paintCode: (code: string) => string = (c) => c): string {
  const path = reasonPath(r);
  return [paintCode(text(r.code)), ...(path === null ? [] : [visible(path)]), text(r.message)].join(' ');
}

/** `CODE path: message`, or `CODE: message` for a reason that names no part (events get). */
export function reasonLine(r: ReasonLike): string {
  const path = reasonPath(r);
  return `${text(r.code)}${path === null ? '' : ` ${visible(path)}`}: ${text(r.message)}`;
}

/**
 * `name: message`, the path named by `name` (backfill: the option a request field comes from), or the
 * message alone for a reason that names no part.
 */
export function faultLine(r: ReasonLike, name: (path: string) => string = (p) => p): string {
  const path = reasonPath(r);
  return path === null ? text(r.message) : `${visible(name(path))}: ${text(r.message)}`;
}
