/** Free text as stored: NFC so "Zoé" typed two ways is one string, trimmed. */
export function normaliseText(value: string): string {
  return value.normalize('NFC').trim();
}

/** Names keep the case they were given; only Unicode form and whitespace are normalised. */
export function normaliseName(value: string): string {
  return normaliseText(value).replace(/\s+/g, ' ');
}

export function normaliseEmail(value: string): string {
  return normaliseText(value).toLowerCase();
}

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether the text holds a UTF-16 surrogate without its other half: no UTF-8 can encode it. */
export function hasUnpairedSurrogate(value: string): boolean {
  return UNPAIRED_SURROGATE.test(value);
}

/** U+0000–U+001F and U+007F: never legitimate in a name or an address, and they break CSV/log consumers. */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x1f || code === 0x7f) return true;
  }
  return false;
}
