/**
 * Where a service's CPU went, from a V8 `.cpuprofile` (`node --cpu-prof`): each sample's time is charged to
 * the code that made it, grouped by package, and printed as shares of the busy time.
 *
 *   npx tsx bench/src/cpu-profile-shares.ts /tmp/prof/*.cpuprofile
 *
 * How a sample is charged:
 * - to the nearest frame on its stack that has a source file, so `JSON.parse`, a regular expression or a
 *   buffer copy counts for the code that called it (`zod` for its own regular expressions, SparkFlow for
 *   the JSON it parses);
 * - a file under `node_modules/<package>` is that package, `node:` is Node core, a service's compiled
 *   `apps/<app>` or `libs/<lib>` is SparkFlow (per lib);
 * - V8's garbage collector and `(program)` (V8 and native work with no JavaScript frame) are their own rows;
 * - idle samples, and every sample under a module being loaded or resolved (start-up, and the runtime
 *   `require` calls OpenTelemetry's `require-in-the-middle` hook resolves), are not busy time.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShares {
  /** The service, from the path of its compiled `apps/<app>/src/main.js`, or null. */
  service: string | null;
  busyMs: number;
  /** Time spent loading and resolving modules, left out of `busyMs`. */
  loadingMs: number;
  /** Busy milliseconds per group, largest first. */
  groups: Array<{ group: string; ms: number }>;
  /**
   * The same time with Node core charged to the package that called into it (kafkajs for the buffers it
   * copies and the socket writes it makes); what no package called (socket reads, timers) stays Node core.
   */
  askedBy: Array<{ group: string; ms: number }>;
}

const IDLE = '(idle)';
const LOADING = 'module loading';
const NODE_CORE = 'Node core';
const MAIN_MODULE = /\/apps\/([^/]+)\/src\/main\.js$/;

/** The group one frame with a source file belongs to. */
export function groupOfUrl(url: string): string {
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url); // the innermost package
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return NODE_CORE;
  const own = /\/build\/(apps|libs)\/([^/]+)\//.exec(url);
  if (own) return `SparkFlow ${own[1]}/${own[2]}`;
  return 'other';
}

function isModuleLoader(frame: CallFrame): boolean {
  return (
    frame.url === 'node:internal/modules/cjs/loader' ||
    frame.functionName === 'compileFunction' ||
    frame.url.includes('/node_modules/require-in-the-middle/')
  );
}

export function profileShares(profile: CpuProfile): ProfileShares {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const groupOf = new Map<number, string>();
  const group = (id: number): string => {
    const known = groupOf.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)?.callFrame ?? { functionName: 'other', url: '' };
    let g: string;
    const up = parent.get(id);
    const above = up === undefined ? undefined : group(up);
    if (above === LOADING || isModuleLoader(frame)) g = LOADING;
    else if (frame.functionName === IDLE) g = IDLE;
    else if (frame.functionName === '(garbage collector)') g = 'V8 garbage collection';
    else if (frame.functionName === '(program)') g = 'V8 and native, no JavaScript frame';
    else if (frame.url) g = groupOfUrl(frame.url);
    else g = above && above !== '(root)' ? above : frame.functionName || 'other';
    groupOf.set(id, g);
    return g;
  };

  const caller = (id: number): string => {
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      const g = group(up);
      if (g !== NODE_CORE && byId.get(up)?.callFrame.url) return g;
    }
    return NODE_CORE;
  };

  const ms = new Map<string, number>();
  const asked = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const g = group(id);
    const t = (profile.timeDeltas[i] ?? 0) / 1000;
    ms.set(g, (ms.get(g) ?? 0) + t);
    const a = g === NODE_CORE ? caller(id) : g;
    asked.set(a, (asked.get(a) ?? 0) + t);
  });
  const loadingMs = ms.get(LOADING) ?? 0;
  const sorted = (m: Map<string, number>) => {
    m.delete(LOADING);
    m.delete(IDLE);
    return [...m].map(([g, t]) => ({ group: g, ms: t })).sort((a, b) => b.ms - a.ms);
  };
  const groups = sorted(ms);
  return {
    service: profile.nodes.map((n) => MAIN_MODULE.exec(n.callFrame.url)?.[1]).find(Boolean) ?? null,
    busyMs: groups.reduce((s, g) => s + g.ms, 0),
    loadingMs,
    groups,
    askedBy: sorted(asked),
  };
}

/**
 * One markdown row per profile: busy seconds and every group of at least `minShare` of it, charged where
 * the time was spent (`groups`) or to the package that asked for it (`askedBy`).
 */
export function sharesTable(rows: ProfileShares[], view: 'groups' | 'askedBy', minShare = 0.01): string {
  const lines = ['| service | busy | shares of busy CPU |', '|---|---:|---|'];
  for (const r of rows) {
    const parts = r[view]
      .filter((g) => g.ms / r.busyMs >= minShare)
      .map((g) => `${g.group} ${Math.round((100 * g.ms) / r.busyMs)} %`);
    lines.push(`| ${r.service ?? '?'} | ${(r.busyMs / 1000).toFixed(1)} s | ${parts.join('; ')} |`);
  }
  return lines.join('\n');
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: npx tsx bench/src/cpu-profile-shares.ts <file.cpuprofile>...');
    process.exit(2);
  }
  const rows = files.map((f) => {
    const shares = profileShares(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
    return { ...shares, service: shares.service ?? basename(f) };
  });
  rows.sort((a, b) => a.service.localeCompare(b.service));
  console.log(`Where the time was spent:\n\n${sharesTable(rows, 'groups')}\n`);
  console.log(`Node core charged to the package that called it:\n\n${sharesTable(rows, 'askedBy')}`);
}
