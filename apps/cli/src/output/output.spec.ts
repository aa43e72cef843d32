import fc from 'fast-check';
import { Output, humanDuration, jsonText, visible } from './output';

function capture(color: boolean) {
  const lines: string[] = [];
  const out = new Output(
    { json: false, color, tty: false },
    (s) => lines.push(s),
    () => undefined,
  );
  return { out, text: () => lines.join('') };
}

describe('Output', () => {
  it('aligns table columns and prints no escape codes when piped', () => {
    const { out, text } = capture(false);
    out.table(
      [
        { t: 'users.raw', n: 5 },
        { t: 'users.dlq', n: 12345 },
      ],
      [
        { header: 'TOPIC', value: (r) => r.t },
        { header: 'MESSAGES', value: (r) => r.n, align: 'right', style: () => 'yellow' },
      ],
    );
    expect(text()).toBe('TOPIC      MESSAGES\nusers.raw         5\nusers.dlq     12345\n');
  });

  it('colours on a terminal without breaking alignment', () => {
    const { out, text } = capture(true);
    out.table([{ a: 'x' }, { a: 'long' }], [{ header: 'A', value: (r) => r.a, style: () => 'red' }]);
    expect(text()).toContain('\u001b[31mx   \u001b[39m');
  });

  it('writes compact JSON when piped', () => {
    const { out, text } = capture(false);
    out.data({ a: [1, 2] });
    expect(text()).toBe('{"a":[1,2]}\n');
  });
});

describe('humanDuration', () => {
  it('says retention the way people do', () => {
    expect(humanDuration(7 * 86_400_000)).toBe('7d');
    expect(humanDuration(90_000)).toBe('1m30s');
    expect(humanDuration(-1)).toBe('forever');
    expect(humanDuration(250)).toBe('250ms');
  });
});

describe('values from the pipeline on a terminal', () => {
  // Every C0 control, DEL and every C1 control: what a producer can put in a batch id header or a payload.
  const controls = fc.constantFrom(
    ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
    ...Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(0x7f + i)),
  );
  const hostile = fc
    .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 4 }), controls), { maxLength: 12 })
    .map((parts) => parts.join(''));
  // eslint-disable-next-line no-control-regex
  const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

  it('reach table cells and fields with every control character escaped, columns still aligned', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 5 }), (ids) => {
        const { out, text } = capture(false);
        out.table(
          ids.map((id) => ({ id, n: 1 })),
          [
            { header: 'BATCH', value: (r) => r.id },
            { header: 'N', value: (r) => r.n, align: 'right' },
          ],
        );
        out.fields(ids.map((id, i) => [`k${i}`, { id }] as const));
        const printed = text();
        expect(printed.replace(/\n/g, '')).not.toMatch(CONTROL);
        // One line per row, each row as wide as the header: nothing broke the line or the alignment.
        const rows = printed.split('\n').slice(0, ids.length + 1);
        expect(new Set(rows.map((r) => r.length)).size).toBe(1);
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });

  it('reach JSON output as the same JSON, with DEL and C1 escaped as well', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const text = jsonText({ s }, 2);
        // Only the line breaks of the indentation are left.
        // eslint-disable-next-line no-control-regex
        expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
        expect(JSON.parse(text)).toEqual({ s });
        expect(visible(s)).not.toMatch(CONTROL);
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });
});
