import { humanDuration } from '../output/output';
import type { ServiceRow, StageRow, TopView } from './top-model';

type Paint = (
  style: 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan' | 'inverse',
  text: string,
) => string;

interface Col<T> {
  header: string;
  /** Lower goes first when the terminal is too narrow. */
  priority: number;
  align: 'left' | 'right';
  value: (row: T) => string;
  style?: (row: T) => Parameters<Paint>[0] | undefined;
}

const num = (v: number | null, digits = 1) => (v === null ? '?' : v.toFixed(digits));
const int = (v: number | null) => (v === null ? '?' : String(v));

const STAGE_COLS: Col<StageRow>[] = [
  { header: 'STAGE', priority: 9, align: 'left', value: (r) => r.stage },
  { header: 'FLOW', priority: 1, align: 'left', value: (r) => r.flow },
  { header: 'RECORDS/S', priority: 8, align: 'right', value: (r) => num(r.recordsPerSec) },
  {
    header: 'LAG',
    priority: 6,
    align: 'right',
    value: (r) => (r.stage === 'ingestion' ? '-' : int(r.lagMessages)),
    style: (r) => (r.lagMessages ? 'yellow' : undefined),
  },
  {
    header: 'LAG (S)',
    priority: 7,
    align: 'right',
    value: (r) =>
      r.stage === 'ingestion'
        ? '-'
        : r.lagSeconds === null
          ? r.lagMessages === null
            ? '?'
            : '…'
          : r.lagSeconds.toFixed(1),
    style: (r) => (r.stalled ? 'red' : r.lagSeconds && r.lagSeconds > 10 ? 'yellow' : undefined),
  },
  {
    header: 'DLQ/MIN',
    priority: 3,
    align: 'right',
    value: (r) => (r.stage === 'ingestion' ? '-' : num(r.deadLettersPerMin)),
    style: (r) => (r.deadLettersPerMin ? 'yellow' : undefined),
  },
  {
    header: 'STATUS',
    priority: 8,
    align: 'left',
    value: (r) =>
      r.stalled
        ? `STALLED${r.stalledSeconds === null ? '' : ` ${humanDuration(Math.round(r.stalledSeconds) * 1000)}`}`
        : r.lagMessages
          ? 'lagging'
          : r.recordsPerSec === null && r.lagMessages === null
            ? '?'
            : 'ok',
    style: (r) => (r.stalled ? 'red' : r.lagMessages ? 'yellow' : 'green'),
  },
];

const SERVICE_COLS: Col<ServiceRow>[] = [
  { header: 'SERVICE', priority: 9, align: 'left', value: (r) => r.service },
  {
    header: 'HEALTH',
    priority: 8,
    align: 'left',
    // A service of several replicas shows how many are ready (`1/2 ready`); its detail names the others.
    value: (r) => (r.replicas.length > 1 ? `${r.replicasReady}/${r.replicas.length} ready` : r.health),
    style: (r) => (r.health === 'ready' ? 'green' : r.replicasReady ? 'yellow' : 'red'),
  },
  {
    header: 'UP',
    priority: 4,
    align: 'right',
    value: (r) => (r.upSeconds === null ? '-' : humanDuration(Math.floor(r.upSeconds) * 1000)),
  },
  {
    header: 'RESTARTS',
    priority: 7,
    align: 'right',
    value: (r) => int(r.restarts),
    style: (r) => (r.restarts ? 'yellow' : undefined),
  },
  { header: 'DETAIL', priority: 2, align: 'left', value: (r) => r.detail ?? '' },
];

/** The columns that fit `width`, dropping the least important first; each column keeps its widest cell. */
function table<T>(
  rows: readonly T[],
  cols: readonly Col<T>[],
  width: number,
  paint: Paint,
  highlight?: (row: T) => boolean,
): string[] {
  let shown = [...cols];
  const widths = (cs: readonly Col<T>[]) =>
    cs.map((c) => Math.max(c.header.length, ...rows.map((r) => c.value(r).length)));
  const total = (cs: readonly Col<T>[]) => widths(cs).reduce((n, w) => n + w, 0) + 2 * (cs.length - 1);
  while (shown.length > 1 && total(shown) > width) {
    const least = shown.reduce((a, b) => (b.priority < a.priority ? b : a));
    shown = shown.filter((c) => c !== least);
  }
  const w = widths(shown);
  const cell = (text: string, i: number) =>
    shown[i].align === 'right' ? text.padStart(w[i]) : text.padEnd(w[i]);
  const clip = (line: string) => line.slice(0, width);
  const out = [
    paint(
      'bold',
      clip(
        shown
          .map((c, i) => cell(c.header, i))
          .join('  ')
          .trimEnd(),
      ),
    ),
  ];
  for (const r of rows) {
    const plain = clip(
      shown
        .map((c, i) => cell(c.value(r), i))
        .join('  ')
        .trimEnd(),
    );
    if (highlight?.(r)) {
      out.push(paint('inverse', paint('red', plain)));
      continue;
    }
    // Styled cell by cell only when nothing was clipped (a cut must not fall inside a colour code).
    if (total(shown) > width) {
      out.push(plain);
      continue;
    }
    const styled = shown.map((c, i) => {
      const s = c.style?.(r);
      return s ? paint(s, cell(c.value(r), i)) : cell(c.value(r), i);
    });
    out.push(styled.join('  ').trimEnd());
  }
  return out;
}

/**
 * One screen of `sparkflow top`, as lines no wider than `width`: the pipeline's stages (records/s, lag in
 * messages and seconds, dead letters per minute, a stalled group highlighted) and its services (health or
 * replicas ready, uptime, restarts). Columns that do not fit are dropped, least important first; a
 * component that does not answer is shown as such rather than hiding the rest.
 */
export function renderTop(
  view: TopView,
  width: number,
  paint: Paint,
  context: { kafka: string; stallAfterSeconds: number },
): string[] {
  if (width < 30) return [`sparkflow top: the terminal is ${width} columns wide; it needs 30`];
  const time = new Date(view.atMs).toISOString().replace(/\.\d+Z$/, 'Z');
  const title = `SparkFlow top  ${time}`;
  const hint = '  q quits';
  const lines = [paint('bold', title) + (title.length + hint.length <= width ? paint('dim', hint) : '')];
  if (view.kafka)
    lines.push(paint('red', `Kafka not reachable at ${context.kafka}: ${view.kafka}`.slice(0, width)));
  lines.push('');
  lines.push(...table(view.stages, STAGE_COLS, width, paint, (r) => r.stalled));
  const inFlight = view.batchesInFlight;
  const summary = [
    `batches in flight ${'problem' in inFlight ? '?' : `${inFlight.count}${inFlight.more ? '+' : ''}`}`,
    `dead letters ${num(view.deadLettersPerMin)}/min`,
    `stalled after ${context.stallAfterSeconds}s`,
  ];
  let line = '';
  for (const part of summary) {
    const next = line ? `${line} · ${part}` : part;
    if (next.length > width) break;
    line = next;
  }
  lines.push(line);
  if ('problem' in inFlight)
    lines.push(paint('red', `batches in flight: ${inFlight.problem}`.slice(0, width)));
  lines.push('');
  lines.push(...table(view.services, SERVICE_COLS, width, paint));
  return lines;
}
