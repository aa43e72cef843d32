import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT, loadRawCompose } from './compose-file';
import {
  DASHBOARD,
  MONITORING,
  composeRuleGroups,
  dashboardQueries,
  declaredMetrics,
  k8sRuleGroups,
  promqlMetricNames,
  usedMetrics,
} from './metric-names';

/** The dashboard and the alert rules, checked without servers against the metrics the services declare. */
describe('reading metric names out of PromQL', () => {
  it('keeps metric names and drops functions, keywords, labels, strings and ranges', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (le) (rate(a_ms_bucket{stage="x", code=~"A|B"}[$__rate_interval]))) / on (job) group_left b_total > bool 3',
      ).sort(),
    ).toEqual(['a_ms_bucket', 'b_total']);
    expect(promqlMetricNames('sum(rate(c_total[5m])) without (partition) and changes(d_seconds[15m]) >= 3').sort()).toEqual([
      'c_total',
      'd_seconds',
    ]);
  });
});

describe('the SparkFlow dashboard and alert rules', () => {
  const declared = declaredMetrics();

  it('finds the instruments the services declare, under their Prometheus names', () => {
    expect(declared.get('sparkflow_records_processed_total')).toBe('libs/kafka/src/lib/consumer/consumer-metrics.ts');
    expect(declared.has('sparkflow_ingest_to_persisted_ms_bucket')).toBe(true);
    expect(declared.has('sparkflow_consumer_lag_seconds')).toBe(true);
  });

  it('use only metrics a service declares', () => {
    const used = usedMetrics();
    expect(used.size).toBeGreaterThan(5);
    const unknown = [...used].filter(([name]) => !declared.has(name)).map(([name, where]) => `${name} (${where.join(', ')})`);
    expect(unknown).toEqual([]);
  });

  it('chart throughput per stage, lag in seconds, dead letters by reason, p99 ingest → persisted and restarts', () => {
    const queries = dashboardQueries();
    const uses = (metric: string, pattern = /./) => queries.some((q) => q.expr.includes(metric) && pattern.test(q.expr));
    expect(uses('sparkflow_records_processed_total', /by \(stage\)/)).toBe(true);
    expect(uses('sparkflow_consumer_lag_seconds')).toBe(true);
    expect(uses('sparkflow_records_dead_lettered_total', /by \(stage, code\)/)).toBe(true);
    expect(uses('sparkflow_ingest_to_persisted_ms_bucket', /histogram_quantile\(0\.99/)).toBe(true);
    expect(uses('sparkflow_process_start_time_seconds')).toBe(true);
    expect(uses('sparkflow_consumer_restarts_total')).toBe(true);
  });

  it('alert on a stalled group, lag in seconds, the dead-letter rate and a crash-looping service', () => {
    const exprs = composeRuleGroups().flatMap((g) => g.rules.map((r) => r.expr));
    expect(exprs.some((e) => e.includes('sparkflow_consumer_stalled'))).toBe(true);
    expect(exprs.some((e) => /sparkflow_consumer_lag_seconds\)? > \d+/.test(e))).toBe(true);
    expect(exprs.some((e) => /rate\(sparkflow_records_dead_lettered_total/.test(e))).toBe(true);
    expect(exprs.some((e) => /changes\(sparkflow_process_start_time_seconds/.test(e))).toBe(true);
    for (const g of composeRuleGroups()) for (const r of g.rules) expect(r.labels?.['severity']).toMatch(/^(warning|critical)$/);
  });

  it('ship the same rules to Kubernetes as a PrometheusRule', () => {
    expect(k8sRuleGroups()).toEqual(composeRuleGroups());
  });

  it('are what Compose mounts into Prometheus and Grafana, with the datasource the panels name', () => {
    const compose = loadRawCompose() as { services: Record<string, { image?: string; volumes?: string[] }> };
    for (const name of ['prometheus', 'grafana']) {
      const s = compose.services[name];
      // Pinned: a tag (overridable from .env) that is not `latest`.
      expect(s.image).toMatch(/:\$\{[A-Z_]+_VERSION:-v?\d+\.\d+\.\d+\}$/);
      for (const v of s.volumes ?? []) expect(existsSync(join(REPO_ROOT, v.split(':')[0]))).toBe(true);
    }
    const prometheus = parse(readFileSync(join(MONITORING, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; dns_sd_configs: { names: string[]; type: string; port: number }[] }[];
    };
    const mounted = compose.services['prometheus'].volumes ?? [];
    for (const f of prometheus.rule_files) expect(mounted.some((v) => v.endsWith(`:${f}:ro`))).toBe(true);
    // Every replica of a service is a target of its own (the cluster file runs two under one name).
    const discovery = prometheus.scrape_configs.map((c) => [c.job_name, c.dns_sd_configs.map((d) => [d.names, d.type, d.port])]);
    expect(discovery).toEqual([
      ['ingestion', [[['ingestion'], 'A', 3000]]],
      ['enrichment', [[['enrichment'], 'A', 3001]]],
      ['persistence', [[['persistence'], 'A', 3002]]],
      ['audit', [[['audit'], 'A', 3003]]],
    ]);
    const datasource = parse(
      readFileSync(join(MONITORING, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string }[] };
    const dashboard = readFileSync(DASHBOARD, 'utf8');
    const uids = new Set([...dashboard.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== 'sparkflow'));
    expect([...uids]).toEqual([datasource.datasources[0].uid]);
  });
});
