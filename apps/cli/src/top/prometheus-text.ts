/** One sample of a Prometheus text exposition: `name{label="value",…} 42`. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the samples of a text exposition; comments, blank and unreadable lines are skipped. */
export function parsePrometheusText(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value });
  }
  return out;
}

/** A metric's samples whose labels match `where`. */
function matching(
  samples: readonly MetricSample[],
  name: string,
  where: Record<string, string>,
): MetricSample[] {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
}

/** The sum of a metric's samples whose labels match `where`. */
export function sumOf(
  samples: readonly MetricSample[],
  name: string,
  where: Record<string, string> = {},
): number | null {
  const hits = matching(samples, name, where);
  return hits.length ? hits.reduce((n, s) => n + s.value, 0) : null;
}

/** The largest of a metric's samples whose labels match `where`. */
export function maxOf(
  samples: readonly MetricSample[],
  name: string,
  where: Record<string, string> = {},
): number | null {
  const hits = matching(samples, name, where);
  return hits.length ? Math.max(...hits.map((s) => s.value)) : null;
}
