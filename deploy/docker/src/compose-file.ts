import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
export const ENV_EXAMPLE = join(REPO_ROOT, '.env.example');

/** `.env` syntax as Compose reads it: KEY=VALUE per line, `#` comments, the rest of the line is the value. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    out[m[1]] = m[2].trim().replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Names a string interpolates (`${A}`, `${A:-x}`, `$A`); `$$` is an escaped dollar, not a reference. */
export function referencedNames(text: string): string[] {
  return [...text.matchAll(REFERENCE)].flatMap((m) => (m[0] === '$$' ? [] : [m[1] ?? m[4]]));
}

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR:+alt}, $$. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    REFERENCE,
    (whole: string, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = env[name];
      const unset = value === undefined;
      const empty = unset || value === '';
      switch (op) {
        case ':-':
          return empty ? (arg ?? '') : (value as string);
        case '-':
          return unset ? (arg ?? '') : (value as string);
        case ':?':
        case '?':
          if (op === ':?' ? empty : unset)
            throw new Error(`required variable ${name} is missing: ${arg ?? ''}`);
          return value as string;
        case ':+':
          return empty ? '' : (arg ?? '');
        case '+':
          return unset ? '' : (arg ?? '');
        case undefined:
          return value ?? '';
        default:
          throw new Error(`unsupported interpolation operator ${op} in ${whole}`);
      }
    },
  );
}

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  }
  return value;
}

function collectStrings(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collectStrings(v, into));
  return into;
}

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The file as YAML (anchors and `<<` merges resolved), before interpolation. */
export function loadRawCompose(path = COMPOSE_FILE): ComposeFile {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile;
}

/** Every variable name the file interpolates. */
export function composeVariables(raw: ComposeFile): Set<string> {
  return new Set(collectStrings(raw).flatMap(referencedNames));
}

/** The file as Compose sees it with the given environment: YAML parsed, then every string interpolated. */
export function loadCompose(env: Record<string, string | undefined>, path = COMPOSE_FILE): ComposeFile {
  return mapStrings(loadRawCompose(path), (s) => interpolate(s, env)) as ComposeFile;
}

/** A service's environment as a map, whichever of the two Compose syntaxes it uses. */
export function environmentOf(s: ComposeService): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}
