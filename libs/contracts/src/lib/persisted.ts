import { z } from 'zod';

/** Written to `users.persisted` only after the user's rows are durable in Cassandra. */
export const PersistedAck = z.object({
  userId: z.uuid(),
  /** The event id of the `users.enriched` event that was written. */
  enrichedEventId: z.uuid(),
  writtenAt: z.iso.datetime({ offset: true }),
});
export type PersistedAck = z.infer<typeof PersistedAck>;
