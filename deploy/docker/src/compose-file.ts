import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, type CollectionTag, type YAMLMap, type YAMLSeq } from 'yaml';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
/** The `cluster` topology, merged over COMPOSE_FILE: `docker compose -f docker-compose.yml -f docker-compose.cluster.yml`. */
export const COMPOSE_CLUSTER_FILE = join(REPO_ROOT, 'docker-compose.cluster.yml');
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

/** A value an override file marks with Compose's `!reset` (drop the earlier value) or `!override` (replace it). */
export class MergeTagged {
  constructor(
    readonly tag: '!reset' | '!override',
    readonly value: unknown,
  ) {}
}

const MERGE_TAGS: CollectionTag[] = (['!reset', '!override'] as const).flatMap((tag) =>
  (['seq', 'map'] as const).map((collection) => ({
    tag,
    collection,
    resolve: (node: YAMLMap.Parsed | YAMLSeq.Parsed) => new MergeTagged(tag, node.toJSON()),
  })),
);

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (value instanceof MergeTagged) return new MergeTagged(value.tag, mapStrings(value.value, fn));
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  }
  return value;
}

function collectStrings(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (value instanceof MergeTagged) collectStrings(value.value, into);
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
  extends?: { file?: string; service: string };
  deploy?: { replicas?: number };
  ports?: string[];
  volumes?: string[];
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
  return parse(readFileSync(path, 'utf8'), { merge: true, customTags: MERGE_TAGS }) as ComposeFile;
}

/** Every variable name the file interpolates. */
export function composeVariables(raw: ComposeFile): Set<string> {
  return new Set(collectStrings(raw).flatMap(referencedNames));
}

/** The file as Compose sees it with the given environment: YAML parsed, then every string interpolated. */
export function loadCompose(env: Record<string, string | undefined>, path = COMPOSE_FILE): ComposeFile {
  return mapStrings(loadRawCompose(path), (s) => interpolate(s, env)) as ComposeFile;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof MergeTagged);

/** What makes an entry of a service's sequence unique (Compose merges these by key, the rest by appending). */
const UNIQUE_BY: Record<string, (entry: unknown) => string> = {
  ports: (p) => String(p),
  volumes: (v) => String(v).split(':')[1] ?? String(v),
};

/**
 * A later Compose file merged into an earlier one, by the Compose Specification's merge rules for what
 * SparkFlow's files use: mappings merge key by key, `command`, `entrypoint` and `healthcheck.test` are
 * replaced, a service's `ports` and `volumes` are unique by published port and by target, other sequences
 * append; `!reset` drops the earlier value and `!override` replaces it.
 */
export function mergeCompose(earlier: unknown, later: unknown, path: readonly string[] = []): unknown {
  if (later instanceof MergeTagged) return later.tag === '!reset' ? undefined : later.value;
  if (isMap(later)) {
    const out: Record<string, unknown> = isMap(earlier) ? { ...earlier } : {};
    for (const [key, value] of Object.entries(later)) {
      const merged = mergeCompose(out[key], value, [...path, key]);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    }
    return out;
  }
  const key = path[path.length - 1];
  const replaced =
    key === 'command' || key === 'entrypoint' || (key === 'test' && path[path.length - 2] === 'healthcheck');
  if (Array.isArray(earlier) && Array.isArray(later) && !replaced) {
    const uniqueBy = path.length === 3 && path[0] === 'services' ? UNIQUE_BY[key] : undefined;
    if (!uniqueBy) return [...(earlier as unknown[]), ...(later as unknown[])];
    const byKey = new Map((earlier as unknown[]).map((e) => [uniqueBy(e), e]));
    for (const e of later as unknown[]) byKey.set(uniqueBy(e), e);
    return [...byKey.values()];
  }
  return later;
}

/** A service with its `extends` resolved: the service it names (in its own file, or in `extends.file`) merged under it. */
function resolveExtends(file: string, name: string, env: Record<string, string | undefined>): ComposeService {
  const service = loadCompose(env, file).services[name];
  if (!service) throw new Error(`${file} has no service ${name}`);
  if (!service.extends) return service;
  const { extends: from, ...own } = service;
  const baseFile = from.file ? resolve(dirname(file), from.file) : file;
  const base = resolveExtends(baseFile, from.service, env);
  return mergeCompose(base, own, ['services', name]) as ComposeService;
}

/**
 * Several Compose files as `docker compose -f a -f b` sees them: each interpolated, its services' `extends`
 * resolved, then merged in order.
 */
export function loadComposeStack(
  env: Record<string, string | undefined>,
  files: readonly string[] = [COMPOSE_FILE, COMPOSE_CLUSTER_FILE],
): ComposeFile {
  const resolved = files.map((file) => {
    const compose = loadCompose(env, file);
    const services = Object.fromEntries(
      Object.keys(compose.services ?? {}).map((name) => [name, resolveExtends(file, name, env)]),
    );
    return { ...compose, services };
  });
  return resolved.reduce((earlier, later) => mergeCompose(earlier, later) as ComposeFile);
}

/** A service's environment as a map, whichever of the two Compose syntaxes it uses. */
export function environmentOf(s: ComposeService): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}
