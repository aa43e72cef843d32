import { dottedPath, stringAt, stringsReader, valueAt } from './payload-path';

describe('valueAt', () => {
  const payload = { location: { postcode: 'EC1A 1BB', street: { number: 4021 } } };

  it('reads a nested value by dotted path', () => {
    expect(valueAt(payload, 'location.street.number')).toBe(4021);
  });

  it('is undefined when any step is missing or not an object', () => {
    expect(valueAt(payload, 'location.city')).toBeUndefined();
    expect(valueAt(payload, 'location.postcode.length')).toBeUndefined();
    expect(valueAt(null, 'name')).toBeUndefined();
    expect(valueAt([{ name: 'x' }], '0.name')).toBeUndefined();
  });

  it('does not read inherited properties', () => {
    expect(valueAt({}, 'constructor')).toBeUndefined();
    expect(valueAt({}, 'toString')).toBeUndefined();
  });
});

describe('stringAt', () => {
  it('returns strings only', () => {
    expect(stringAt({ a: 'x', b: 1 }, 'a')).toBe('x');
    expect(stringAt({ a: 'x', b: 1 }, 'b')).toBeUndefined();
  });
});

describe('dottedPath', () => {
  it('joins zod path segments with dots, and is null for the root', () => {
    expect(dottedPath(['location', 'postcode'])).toBe('location.postcode');
    expect(dottedPath(['results', 3, 'email'])).toBe('results.3.email');
    expect(dottedPath([])).toBeNull();
  });
});

describe('stringsReader', () => {
  const read = stringsReader(['email', 'location.postcode', 'location.street.number', 'email', 'nat']);

  it('answers as stringAt does for each of its paths', () => {
    const payloads: unknown[] = [
      { email: 'a@b.io', location: { postcode: 'EC1A 1BB', street: { number: 4021 } } },
      { email: 42, location: ['EC1A 1BB'], nat: 'GB' },
      { location: null },
      Object.create({ email: 'inherited@b.io' }),
      null,
      'text',
    ];
    for (const payload of payloads) {
      const at = read(payload);
      for (const path of ['email', 'location.postcode', 'location.street.number', 'nat'] as const) {
        expect(at(path)).toBe(stringAt(payload, path));
      }
    }
  });
});
