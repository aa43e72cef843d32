import { TOPICS } from '@sparkflow/contracts';
import { arrivalOrder } from '@sparkflow/audit-store';
import {
  AUDIT_STORE_OPTIONS,
  auditedEvents,
  chunksOf,
  copyText,
  expectedStages,
  writeJobs,
} from './audit-store-options';

/** COPY's text format read back as PostgreSQL reads it (the escapes `copyText` writes). */
const readCopyText = (field: string) =>
  field === '\\N' ? null : field.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c);

describe('audit store options', () => {
  const now = new Date('2026-12-05T08:00:00.000Z');
  const { events, batches } = auditedEvents(250, 100, now);

  it("makes each event's three rows as the audit records a persisted event: one event id, one person, in pipeline order", () => {
    for (const e of events) {
      expect([e.raw.topic, e.enriched.topic, e.persisted.topic]).toEqual([
        TOPICS.usersRaw,
        TOPICS.usersEnriched,
        TOPICS.usersPersisted,
      ]);
      expect(new Set([e.raw.eventId, e.enriched.eventId, e.persisted.eventId]).size).toBe(1);
      expect(new Set([e.raw.userId, e.enriched.userId, e.persisted.userId]).size).toBe(1);
      expect(arrivalOrder(e.enriched, e.raw)).toBeGreaterThan(0);
      expect(arrivalOrder(e.persisted, e.enriched)).toBeGreaterThan(0);
    }
    expect(new Set(events.map((e) => e.raw.eventId)).size).toBe(250);
    expect(new Set(events.map((e) => e.raw.userId)).size).toBe(250);
  });

  it('declares each batch once, with the number of its events', () => {
    expect(batches.map((b) => [b.batchId, b.expectedCount])).toEqual([
      ['bench-audit-0', 100],
      ['bench-audit-1', 100],
      ['bench-audit-2', 50],
    ]);
    for (const b of batches)
      expect(events.filter((e) => e.raw.batchId === b.batchId)).toHaveLength(b.expectedCount!);
  });

  it('registers each batch with the first chunk that holds one of its raw records, whatever the chunk size', () => {
    for (const size of [1, 7, 64, 100, 1000]) {
      const chunks = chunksOf(events, batches, size);
      expect(chunks.flatMap((c) => c.events)).toEqual(events);
      expect(chunks.flatMap((c) => c.batches)).toEqual(batches);
      const seenBy = new Set<string>();
      for (const c of chunks) {
        for (const b of c.batches) expect(c.raw.some((r) => r.batchId === b.batchId)).toBe(true);
        for (const r of c.raw) {
          if (!seenBy.has(r.batchId!)) expect(c.batches.map((b) => b.batchId)).toContain(r.batchId);
          seenBy.add(r.batchId!);
        }
      }
    }
  });

  it("runs every chunk's raw records and acks once each, each chunk's acks after its raw records", () => {
    for (const n of [1, 2, 5]) {
      const jobs = writeJobs(n);
      expect(jobs).toHaveLength(2 * n);
      for (let c = 0; c < n; c++) {
        const raw = jobs.findIndex((j) => j.kind === 'raw' && j.chunk === c);
        const acks = jobs.findIndex((j) => j.kind === 'acks' && j.chunk === c);
        expect(raw).toBeGreaterThanOrEqual(0);
        expect(acks).toBeGreaterThan(raw);
      }
    }
  });

  it('expects every stage of a persisted event from each option but the floor, which keeps its last', () => {
    expect(AUDIT_STORE_OPTIONS.map((o) => [o.name, expectedStages(o)])).toEqual([
      ['sparkflow', 3],
      ['copy', 3],
      ['two-rows', 3],
      ['one-row', 3],
      ['floor', 1],
    ]);
  });

  it('writes any text as one COPY field that reads back as itself', () => {
    const alphabet = ['a', '\\', '\t', '\n', '\r', 'N', '\u00e9', ' ', '"'];
    let seed = 17;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join('');
      const field = copyText(text);
      expect(field).not.toMatch(/[\t\n\r]/);
      expect(readCopyText(field)).toBe(text);
    }
    expect(readCopyText(copyText(null))).toBeNull();
    expect(copyText('\\N')).not.toBe(copyText(null));
  });
});
