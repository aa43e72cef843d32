/**
 * Everything the CLI prints goes through here: JSON for machines (`--json`), aligned tables and colour
 * for people on a terminal, plain aligned text when piped. Data goes to stdout, progress and errors to stderr.
 */
export interface OutputOptions {
  json: boolean;
  color: boolean;
  tty: boolean;
}

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan' | 'magenta' | 'inverse';
const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  magenta: [35, 39],
  inverse: [7, 27],
};

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
export const visibleLength = (s: string) => s.replace(ANSI, '').length;

// C0 controls, DEL and C1 controls. A value the CLI prints comes from the pipeline (a batch id from a Kafka
// header, a name in a payload), and any producer can put in it what would move the cursor, recolour or
// retitle the terminal (ESC, CSI as U+009B, OSC as U+009D): it is shown escaped instead.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// JSON.stringify escapes C0 itself; DEL and C1 it writes as they are.
const JSON_UNESCAPED = /[\u007f-\u009f]/g;
const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A value as text a terminal shows as it is: every control character escaped as `\uXXXX`. */
export const visible = (s: string): string => s.replace(CONTROL, escaped);

/**
 * `JSON.stringify`, with DEL and the C1 controls escaped as well (`\u009b`): the same JSON to a parser,
 * nothing a terminal acts on when it is printed.
 */
export const jsonText = (value: unknown, indent?: number): string =>
  (JSON.stringify(value, null, indent) ?? 'undefined').replace(JSON_UNESCAPED, escaped);

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
  align?: 'left' | 'right';
  style?: (row: T) => Style | undefined;
}

export class Output {
  constructor(
    readonly options: OutputOptions,
    private readonly out: (s: string) => void = (s) => process.stdout.write(s),
    private readonly err: (s: string) => void = (s) => process.stderr.write(s),
  ) {}

  get json(): boolean {
    return this.options.json;
  }

  paint(style: Style, text: string): string {
    if (!this.options.color) return text;
    const [open, close] = CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }

  line(text = ''): void {
    this.out(`${text}\n`);
  }

  /** Pretty JSON on a terminal, one compact document per line when piped (easy for `jq`, `grep`). */
  data(value: unknown): void {
    this.out(`${jsonText(value, this.options.tty ? 2 : undefined)}\n`);
  }

  /** One JSON document per line, for streams (`tail --follow --json`). */
  ndjson(value: unknown): void {
    this.out(`${jsonText(value)}\n`);
  }

  note(text: string): void {
    this.err(`${text}\n`);
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
    const cells = rows.map((r) => columns.map((c) => format(c.value(r))));
    const widths = columns.map((c, i) =>
      Math.max(c.header.length, ...cells.map((row) => visibleLength(row[i]))),
    );
    const pad = (text: string, i: number) => {
      const fill = ' '.repeat(widths[i] - visibleLength(text));
      return columns[i].align === 'right' ? fill + text : text + fill;
    };
    this.line(
      columns
        .map((c, i) => this.paint('bold', pad(c.header, i)))
        .join('  ')
        .trimEnd(),
    );
    cells.forEach((row, r) => {
      this.line(
        row
          .map((text, i) => {
            const style = columns[i].style?.(rows[r]);
            return style ? this.paint(style, pad(text, i)) : pad(text, i);
          })
          .join('  ')
          .trimEnd(),
      );
    });
  }

  /** `key  value` lines, keys aligned. */
  fields(pairs: readonly (readonly [string, unknown])[], indent = ''): void {
    const width = Math.max(0, ...pairs.map(([k]) => k.length));
    for (const [k, v] of pairs) this.line(`${indent}${this.paint('dim', k.padEnd(width))}  ${format(v)}`);
  }

  /** A progress bar on a terminal's stderr, redrawn in place; a line per change when not a terminal. */
  progress(done: number, total: number, label: string): void {
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    if (this.options.tty) {
      const width = 30;
      const filled = Math.round(ratio * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      this.err(
        `\r${this.paint('cyan', bar)} ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${total} ${label}\u001b[K`,
      );
    } else {
      this.err(`${done}/${total} ${label}\n`);
    }
  }

  endProgress(): void {
    if (this.options.tty) this.err('\n');
  }
}

export function format(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return jsonText(v);
  return visible(String(v));
}

/** 604800000 → `7d`, 90000 → `1m30s`; `-1` (Kafka's "forever") → `forever`. */
export function humanDuration(ms: number): string {
  if (ms < 0) return 'forever';
  if (ms < 1000) return `${ms}ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n) parts.push(`${n}${unit}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.join('') || '0s';
}
