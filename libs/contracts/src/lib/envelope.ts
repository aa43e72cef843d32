import { z } from 'zod';

export const SCHEMA_VERSION = 1 as const;

/** `unknown` marks a dead letter whose original record carried no readable source. */
export const EVENT_SOURCES = [
  'randomuser-api',
  'http-push',
  'synthetic',
  'backfill',
  'replay',
  'unknown',
] as const;
export const EventSource = z.enum(EVENT_SOURCES);
export type EventSource = z.infer<typeof EventSource>;

/**
 * Every event on every topic carries this envelope; the payload varies by topic. A person's event keeps
 * its `eventId` on every topic it crosses (raw, enriched, persisted), which is what the audit's lineage joins on.
 */
export const Envelope = z.object({
  eventId: z.uuid(),
  schemaVersion: z.literal(SCHEMA_VERSION),
  source: EventSource,
  batchId: z.string().min(1).max(200),
  producedAt: z.iso.datetime({ offset: true }),
});
export type Envelope = z.infer<typeof Envelope>;

/** Wraps a payload schema in the envelope: `{ ...envelope, payload }`. */
export function eventOf<P extends z.ZodType>(payload: P) {
  return Envelope.extend({ payload });
}
