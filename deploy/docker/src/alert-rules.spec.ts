import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './compose-file';
import { COMPOSE_RULES, MONITORING, composeRuleGroups } from './metric-names';

/**
 * The alert rules and Compose's Prometheus configuration, read by Prometheus's own promtool (Debian's
 * prometheus package, through `npm run stack -- promtool`, as an operator runs it): the files load, and each
 * alert fires on the series it is written for and stays quiet just under its threshold
 * (sparkflow-alerts.test.yml).
 */
const PROMETHEUS_DIR = join(MONITORING, 'prometheus');
const RULE_TESTS = join(PROMETHEUS_DIR, 'sparkflow-alerts.test.yml');

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('bash', [join(REPO_ROOT, 'deploy', 'local', 'bin', 'stack'), 'promtool', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** promtool run on `text`, written to a scratch file named `name` (its other arguments before the file). */
function promtoolOn(
  name: string,
  text: string,
  ...args: string[]
): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sparkflow-promtool-'));
  try {
    writeFileSync(join(dir, name), text);
    return promtool(...args, join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The names of the scrape jobs Compose's prometheus.yml defines: one per service. */
const scrapeJobs = () =>
  (
    parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string }[];
    }
  ).scrape_configs.map((c) => c.job_name);

describe('the alert rules, evaluated by Prometheus', () => {
  // The first run on a machine fetches the package from Debian.
  jest.setTimeout(300_000);

  it('load, and pass their unit tests', () => {
    const check = promtool('check', 'rules', COMPOSE_RULES);
    expect(check.output).toContain(`SUCCESS: ${composeRuleGroups()[0].rules.length} rules found`);
    expect(check.status).toBe(0);
    const tests = promtool('test', 'rules', RULE_TESTS);
    expect(tests.output).toContain('SUCCESS');
    expect(tests.output).not.toContain('FAILED');
    expect(tests.status).toBe(0);
  });

  it('have a unit test for every alert', () => {
    const tested = new Set(
      (
        parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: { alert_rule_test: { alertname: string }[] }[] }
      ).tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)),
    );
    const alerts = composeRuleGroups().flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
  });

  it('fail a rule test whose expected alert is wrong', () => {
    // The same tests with one expected label changed: promtool must say so, or the pass above proves nothing.
    const broken = readFileSync(RULE_TESTS, 'utf8')
      .replace('rule_files:\n  - sparkflow-alerts.yml', `rule_files:\n  - ${COMPOSE_RULES}`)
      .replace(
        'exp_labels: { severity: critical, namespace: sparkflow, job: audit }',
        'exp_labels: { severity: critical, namespace: sparkflow, job: ingestion }',
      );
    const r = promtoolOn('broken.test.yml', broken, 'test', 'rules');
    expect(r.output).toContain('SparkflowServiceAbsent');
    expect(r.status).toBe(1);
  });

  it("page when a service's replica stops answering and when none is left, for every scraped service", () => {
    const rules = composeRuleGroups().flatMap((g) => g.rules);
    const down = rules.find((r) => r.alert === 'SparkflowServiceDown');
    const absent = rules.find((r) => r.alert === 'SparkflowServiceAbsent');
    for (const job of scrapeJobs()) {
      expect(down?.expr).toMatch(
        new RegExp(`up\\{namespace="sparkflow", job=~"([^"]*\\|)?${job}(\\|[^"]*)?"\\} == 0`),
      );
      expect(absent?.expr).toContain(`absent(up{namespace="sparkflow", job="${job}"})`);
    }
  });

  it("accept Compose's Prometheus configuration, with the rules it mounts", () => {
    // prometheus.yml names the rules where Compose mounts them (/etc/prometheus); here they are in the repo.
    const config = readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8').replace(
      '/etc/prometheus/sparkflow-alerts.yml',
      COMPOSE_RULES,
    );
    const r = promtoolOn('prometheus.yml', config, 'check', 'config');
    expect(r.output).toContain('is valid prometheus config file syntax');
    expect(r.status).toBe(0);
  });
});
