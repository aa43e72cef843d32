import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchCounts } from '@sparkflow/contracts';
import { auditHeaders, integrationSettings, uniqueName } from '@sparkflow/testing';
import { SCRAPE_SERIES, usedMetrics } from './metric-names';

/**
 * Every metric the dashboard and the alert rules use appears in the real `/metrics` of the running
 * services (`npm run stack -- up`; the same *_HTTP_PORT overrides for both).
 */
const settings = integrationSettings();
// The services' ports are the stack's variables; integrationSettings knows only the APIs'.
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SERVICES = {
  ingestion: settings.INGESTION_HTTP_PORT,
  enrichment: port('ENRICHMENT_HTTP_PORT', 3001),
  persistence: port('PERSISTENCE_HTTP_PORT', 3002),
  audit: settings.AUDIT_HTTP_PORT,
};

/** The series names of a Prometheus text exposition. */
function seriesNames(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(l)?.[0] ?? ''),
  );
}

describe('the metrics the dashboard and the alerts use', () => {
  beforeAll(async () => {
    // One batch through the pipeline, so the histograms that record per event have observations.
    const res = await fetch(`http://127.0.0.1:${settings.INGESTION_HTTP_PORT}/v1/synthetic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': settings.INGESTION_API_KEYS.split(',')[0].trim() },
      body: JSON.stringify({ count: 5, seed: uniqueName('metrics-it') }),
    });
    expect(res.status).toBe(202);
    const { batchId } = (await res.json()) as { batchId: string };
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await fetch(`http://127.0.0.1:${settings.AUDIT_HTTP_PORT}/v1/batches/${batchId}`, { headers: auditHeaders(settings) });
      if (r.status === 200 && ((await r.json()) as BatchCounts).complete) break;
      if (Date.now() > deadline) throw new Error(`batch ${batchId} did not complete`);
      await sleep(500);
    }
  });

  async function scrape(): Promise<Map<string, string[]>> {
    const exposed = new Map<string, string[]>();
    for (const [service, p] of Object.entries(SERVICES)) {
      const res = await fetch(`http://127.0.0.1:${p}/metrics`);
      expect({ service, status: res.status }).toEqual({ service, status: 200 });
      for (const name of seriesNames(await res.text())) exposed.set(name, [...(exposed.get(name) ?? []), service]);
    }
    return exposed;
  }

  it('appear in the /metrics of the running services', async () => {
    // `up` and its kind are Prometheus's own, made per scrape: no service serves them.
    const scrapeSeries: readonly string[] = SCRAPE_SERIES;
    const used = [...usedMetrics()].filter(([name]) => !scrapeSeries.includes(name));
    expect(used.length).toBeGreaterThan(5);
    const missingFrom = (exposed: Map<string, string[]>) =>
      [...used].filter(([name]) => !exposed.has(name)).map(([name, where]) => `${name} (${where[0]})`);
    // Lag, its age and stalls are observed by each consumer's watchdog round, so a service that just
    // started has them after its first round.
    let exposed = await scrape();
    for (const deadline = Date.now() + 120_000; missingFrom(exposed).length && Date.now() < deadline; ) {
      await sleep(2000);
      exposed = await scrape();
    }
    expect(missingFrom(exposed)).toEqual([]);
    // Each stage exposes its own consumer series, and every service its start time.
    for (const service of Object.keys(SERVICES))
      expect(exposed.get('sparkflow_process_start_time_seconds')).toContain(service);
    for (const stage of ['enrichment', 'persistence', 'audit'])
      expect(exposed.get('sparkflow_consumer_lag_seconds')).toContain(stage);
    expect(exposed.get('sparkflow_ingest_to_persisted_ms_bucket')).toEqual(['persistence']);
  });
});
