import { Output, humanDuration } from './output';

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
