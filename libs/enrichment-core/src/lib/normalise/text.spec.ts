import { hasControlCharacter, normaliseEmail, normaliseName, normaliseText } from './text';

describe('text normalisation', () => {
  it('composes a decomposed accent (NFC): "Zoe\\u0301" becomes "Zoé"', () => {
    const composed = normaliseName('Zoe\u0301');
    expect(composed).toBe('Zo\u00e9');
    expect(composed).toHaveLength(3);
  });

  it('trims and collapses inner whitespace in names but keeps their case', () => {
    expect(normaliseName('  Mary \t  Ann  ')).toBe('Mary Ann');
    expect(normaliseName('McDONALD')).toBe('McDONALD');
  });

  it('trims other text without collapsing it', () => {
    expect(normaliseText('  Victoria  Road ')).toBe('Victoria  Road');
  });

  it('lower-cases and trims e-mail addresses', () => {
    expect(normaliseEmail('  Olivia.Harris@Example.COM ')).toBe('olivia.harris@example.com');
  });

  it.each([
    ['NUL', 'a\u0000b', true],
    ['newline', 'a\nb', true],
    ['unit separator', 'a\u001fb', true],
    ['DEL', 'a\u007fb', true],
    ['plain text', 'Zoé Müller', false],
    ['a space', 'a b', false],
  ])('detects control characters (%s)', (_label, value, expected) => {
    expect(hasControlCharacter(value)).toBe(expected);
  });
});
