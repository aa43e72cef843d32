import { createHash } from 'node:crypto';

/**
 * faker's `Randomizer` over sfc32. Reseeding faker's default Mersenne Twister costs ~40 µs, and the
 * generator reseeds once per user so that a user depends only on (seed, page, index) — not on how
 * many users came before it or on which fields a later version draws. sfc32 reseeds in O(1).
 */
export class SeededRandomizer {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  // Arrow properties: faker calls these detached from the instance.
  readonly seed = (seed: number | number[]): void => {
    const words = Array.isArray(seed) ? seed : [seed];
    [this.a, this.b, this.c, this.d] = [0, 1, 2, 3].map((i) => (words[i] ?? 0) | 0);
    for (let i = 0; i < 12; i++) this.next32();
  };

  /** A float in [0, 1) with 53 random bits, as faker expects. */
  readonly next = (): number => ((this.next32() >>> 5) * 67108864 + (this.next32() >>> 6)) / 9007199254740992;

  // Helpers for the hot path: faker's equivalents validate arguments on every call and cost
  // 5–30× more, which is most of the time 10,000 users take.

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Replaces '#' with a digit and '?' with an upper-case letter, like faker.helpers.replaceSymbols. */
  fill(pattern: string): string {
    const codes: number[] = [];
    for (let i = 0; i < pattern.length; i++) {
      const code = pattern.charCodeAt(i);
      if (code === 35 /* # */) codes.push(48 + (this.next32() % 10));
      else if (code === 63 /* ? */) codes.push(65 + (this.next32() % 26));
      else codes.push(code);
    }
    return String.fromCharCode(...codes);
  }

  alphanumeric(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += ALPHANUMERIC[Math.floor(this.next() * ALPHANUMERIC.length)];
    return out;
  }

  /** An RFC 4122 version-4 UUID from this stream. */
  uuid(): string {
    const hex = [0, 1, 2, 3].map(() => this.next32().toString(16).padStart(8, '0')).join('');
    const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  private next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) + t;
    this.c |= 0;
    return t >>> 0;
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Four 32-bit words from SHA-256 of the parts, NUL-separated so ('a1', 1) and ('a', 11) differ. */
export function seedWords(...parts: Array<string | number>): number[] {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset));
}
