import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './compose-file';

/**
 * The metric names the dashboard and the alert rules use, and the names the services declare, so a
 * renamed metric fails a test instead of leaving a panel empty or an alert that never fires.
 */
export const MONITORING = join(REPO_ROOT, 'deploy', 'monitoring');
export const DASHBOARD = join(MONITORING, 'grafana', 'dashboards', 'sparkflow.json');
export const COMPOSE_RULES = join(MONITORING, 'prometheus', 'sparkflow-alerts.yml');
export const K8S_RULE = join(REPO_ROOT, 'deploy', 'k8s', 'monitoring', 'prometheus-rule.yaml');

const INSTRUMENT = /\.create(Counter|UpDownCounter|Histogram|Gauge|ObservableGauge|ObservableCounter|ObservableUpDownCounter)\(\s*'([A-Za-z_:][A-Za-z0-9_:]*)'/g;

/** The series names Prometheus sees for an OpenTelemetry instrument (its exporter adds `_total` to counters). */
export function exposedNames(kind: string, name: string): string[] {
  switch (kind) {
    case 'Counter':
    case 'ObservableCounter':
      return [name.endsWith('_total') ? name : `${name}_total`];
    case 'Histogram':
      return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
    default:
      return [name];
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.ts$/.test(e.name) && !/\.(spec|integration-spec)\.ts$/.test(e.name) ? [path] : [];
  });
}

/** The series Prometheus writes itself for every target it scrapes (1 when the scrape answered). */
export const SCRAPE_SERIES = ['up'] as const;

/**
 * Every metric an instrument in libs/ or apps/ declares, by exposed name, with the file that declares it,
 * and the series Prometheus makes for each scrape (`SCRAPE_SERIES`).
 */
export function declaredMetrics(): Map<string, string> {
  const out = new Map<string, string>(SCRAPE_SERIES.map((name) => [name, 'Prometheus, per scrape target']));
  for (const root of ['libs', 'apps']) {
    for (const file of sourceFiles(join(REPO_ROOT, root))) {
      for (const m of readFileSync(file, 'utf8').matchAll(INSTRUMENT)) {
        for (const name of exposedNames(m[1], m[2])) out.set(name, relative(REPO_ROOT, file));
      }
    }
  }
  return out;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions, keywords, label
 * names (inside `{…}` or a `by (…)` list), strings or durations.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w:$.])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1].toLowerCase())) continue;
    names.add(m[1]);
  }
  return [...names];
}

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string> }[];
}

export function composeRuleGroups(): RuleGroup[] {
  return (parse(readFileSync(COMPOSE_RULES, 'utf8')) as { groups: RuleGroup[] }).groups;
}

export function k8sRuleGroups(): RuleGroup[] {
  const doc = parse(readFileSync(K8S_RULE, 'utf8')) as { kind: string; spec: { groups: RuleGroup[] } };
  if (doc.kind !== 'PrometheusRule') throw new Error(`${K8S_RULE} is a ${doc.kind}, not a PrometheusRule`);
  return doc.spec.groups;
}

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

export function dashboardQueries(): { panel: string; expr: string }[] {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const walk = (panels: Panel[]): { panel: string; expr: string }[] =>
    panels.flatMap((p) => [...(p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })), ...walk(p.panels ?? [])]);
  return walk(dash.panels);
}

/** Every metric name a panel or a rule (Compose and Kubernetes) selects, with where it is used. */
export function usedMetrics(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (name: string, where: string) => out.set(name, [...(out.get(name) ?? []), where]);
  for (const q of dashboardQueries()) for (const n of promqlMetricNames(q.expr)) add(n, `panel "${q.panel}"`);
  for (const [file, groups] of [
    ['sparkflow-alerts.yml', composeRuleGroups()],
    ['prometheus-rule.yaml', k8sRuleGroups()],
  ] as const) {
    for (const g of groups)
      for (const r of g.rules) for (const n of promqlMetricNames(r.expr)) add(n, `${file} ${r.alert ?? r.record}`);
  }
  return out;
}
