import { renderTop } from './top-render';
import type { ServiceRow, TopView } from './top-model';

/** A service of one process (the single topology). */
const single = (row: Omit<ServiceRow, 'replicas' | 'replicasReady'>): ServiceRow => ({
  ...row,
  replicasReady: row.health === 'ready' ? 1 : 0,
  replicas: [
    {
      replica: row.service,
      health: row.health,
      detail: row.detail,
      upSeconds: row.upSeconds,
      restarts: row.restarts,
    },
  ],
});

const view: TopView = {
  atMs: Date.parse('2026-11-30T10:00:00Z'),
  kafka: null,
  stages: [
    {
      stage: 'ingestion',
      flow: 'HTTP → users.raw',
      recordsPerSec: 500,
      lagMessages: null,
      lagSeconds: null,
      deadLettersPerMin: null,
      stalled: false,
      stalledSeconds: null,
    },
    {
      stage: 'enrichment',
      flow: 'users.raw → users.enriched',
      recordsPerSec: 0,
      lagMessages: 1200,
      lagSeconds: 42.5,
      deadLettersPerMin: null,
      stalled: true,
      stalledSeconds: 65,
    },
    {
      stage: 'persistence',
      flow: 'users.enriched → users.persisted',
      recordsPerSec: 480,
      lagMessages: 0,
      lagSeconds: 0,
      deadLettersPerMin: 1.5,
      stalled: false,
      stalledSeconds: null,
    },
    {
      stage: 'audit',
      flow: 'raw, dlq, persisted → PostgreSQL',
      recordsPerSec: 1900,
      lagMessages: 3,
      lagSeconds: 0.2,
      deadLettersPerMin: 0,
      stalled: false,
      stalledSeconds: null,
    },
  ],
  services: [
    single({ service: 'ingestion', health: 'ready', detail: null, upSeconds: 3700, restarts: 0 }),
    single({
      service: 'enrichment',
      health: 'no answer',
      detail: 'no answer within 1500 ms at http://127.0.0.1:3001',
      upSeconds: null,
      restarts: null,
    }),
    single({ service: 'persistence', health: 'ready', detail: null, upSeconds: 3700, restarts: 2 }),
    single({ service: 'audit', health: 'ready', detail: null, upSeconds: 3700, restarts: 0 }),
  ],
  batchesInFlight: { count: 3, more: false },
  deadLettersPerMin: 1.5,
};
const plain = (_style: string, text: string) => text;
const context = { kafka: '127.0.0.1:9092', stallAfterSeconds: 60 };

describe('the top screen', () => {
  it('shows every column on a wide terminal, and the stalled stage with how long', () => {
    const lines = renderTop(view, 120, plain, context);
    expect(lines[0]).toBe('SparkFlow top  2026-11-30T10:00:00Z  q quits');
    expect(lines).toContainEqual(
      expect.stringMatching(/^STAGE\s+FLOW\s+RECORDS\/S\s+LAG\s+LAG \(S\)\s+DLQ\/MIN\s+STATUS$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^enrichment\s+users\.raw → users\.enriched\s+0\.0\s+1200\s+42\.5\s+\?\s+STALLED 1m5s$/,
      ),
    );
    expect(lines).toContain('batches in flight 3 · dead letters 1.5/min · stalled after 60s');
    expect(lines).toContainEqual(
      expect.stringMatching(/^enrichment\s+no answer\s+-\s+\?\s+no answer within 1500 ms/),
    );
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
  });

  it('says how many batches are in flight past the page the audit lists, and why there is no count', () => {
    const many = renderTop({ ...view, batchesInFlight: { count: 1000, more: true } }, 120, plain, context);
    expect(many).toContain('batches in flight 1000+ · dead letters 1.5/min · stalled after 60s');
    const refused = renderTop(
      { ...view, batchesInFlight: { problem: 'the audit refused the key (HTTP 401): set AUDIT_API_KEYS' } },
      120,
      plain,
      context,
    );
    expect(refused).toContain('batches in flight ? · dead letters 1.5/min · stalled after 60s');
    expect(refused).toContain('batches in flight: the audit refused the key (HTTP 401): set AUDIT_API_KEYS');
  });

  it('drops the least important columns first on a narrow terminal, never the stage, rate, lag or status', () => {
    const lines = renderTop(view, 60, plain, context);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    const header = lines.find((l) => l.startsWith('STAGE'))!;
    expect(header).not.toContain('FLOW');
    expect(header).toMatch(/STAGE\s+RECORDS\/S\s+LAG\s+LAG \(S\)\s+.*STATUS/);
    expect(lines.find((l) => l.startsWith('SERVICE'))).not.toContain('DETAIL');
    const narrow = renderTop(view, 40, plain, context);
    for (const l of narrow) expect(l.length).toBeLessThanOrEqual(40);
    expect(narrow).toContainEqual(expect.stringMatching(/^enrichment\s+0\.0\s+.*STALLED/));
  });

  it('highlights a stalled stage as a whole line', () => {
    const marked = (style: string, text: string) => `<${style}>${text}</${style}>`;
    const row = renderTop(view, 120, marked, context).find((l) => l.includes('users.raw → users.enriched'))!;
    expect(row.startsWith('<inverse><red>enrichment')).toBe(true);
  });

  it('says when Kafka is not reachable and keeps the rest, and refuses a terminal too narrow to read', () => {
    const lines = renderTop({ ...view, kafka: 'ECONNREFUSED' }, 100, plain, context);
    expect(lines[1]).toBe('Kafka not reachable at 127.0.0.1:9092: ECONNREFUSED');
    expect(lines.some((l) => l.startsWith('SERVICE'))).toBe(true);
    expect(renderTop(view, 20, plain, context)).toEqual([
      'sparkflow top: the terminal is 20 columns wide; it needs 30',
    ]);
  });

  it('shows how many replicas of a service are ready, and names the one that is not', () => {
    const replica = (n: number, ready: boolean) => ({
      replica: `enrichment-${n}`,
      health: ready ? ('ready' as const) : ('down' as const),
      detail: ready ? null : `http://127.0.0.1:${3001 + 100 * n}: ECONNREFUSED`,
      upSeconds: ready ? 3700 : null,
      restarts: ready ? 1 : null,
    });
    const services: ServiceRow[] = view.services.map((s) => ({
      ...s,
      health: 'ready',
      detail: null,
      replicasReady: 2,
      replicas: [replica(1, true), replica(2, true)],
    }));
    services[1] = {
      ...services[1],
      health: 'not ready',
      detail: 'enrichment-2: http://127.0.0.1:3201: ECONNREFUSED',
      replicasReady: 1,
      replicas: [replica(1, true), replica(2, false)],
    };
    const marked = (style: string, text: string) => `<${style}>${text}</${style}>`;
    const lines = renderTop({ ...view, services }, 120, plain, context);
    expect(lines).toContainEqual(expect.stringMatching(/^ingestion\s+2\/2 ready\s/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^enrichment\s+1\/2 ready\s+.*enrichment-2: http:\/\/127\.0\.0\.1:3201: ECONNREFUSED$/,
      ),
    );
    const styled = renderTop({ ...view, services }, 120, marked, context);
    expect(styled.find((l) => l.startsWith('enrichment ') && l.includes('ready'))).toContain(
      '<yellow>1/2 ready',
    );
    expect(styled.find((l) => l.startsWith('ingestion ') && l.includes('ready'))).toContain(
      '<green>2/2 ready',
    );
  });
});
