import { z } from 'zod';
import { eventOf } from './envelope';
import { RandomUser } from './randomuser';
import { EnrichedUser } from './enriched-user';
import { DeadLetter } from './dead-letter';
import { PersistedAck } from './persisted';

/** The value of each topic's messages: the envelope around that topic's payload. */
export const RawUserEvent = eventOf(RandomUser);
export type RawUserEvent = z.infer<typeof RawUserEvent>;

export const EnrichedUserEvent = eventOf(EnrichedUser);
export type EnrichedUserEvent = z.infer<typeof EnrichedUserEvent>;

export const DeadLetterEvent = eventOf(DeadLetter);
export type DeadLetterEvent = z.infer<typeof DeadLetterEvent>;

export const PersistedEvent = eventOf(PersistedAck);
export type PersistedEvent = z.infer<typeof PersistedEvent>;
