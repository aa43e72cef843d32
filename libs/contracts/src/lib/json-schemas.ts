import { z } from 'zod';
import { RawUserEvent, EnrichedUserEvent, DeadLetterEvent, PersistedEvent } from './events';
import { RandomUserResponse } from './randomuser';
import { TOPICS } from './topics';

/** The schemas published as JSON Schema for the Python side (Airflow, Spark), by topic. */
export const TOPIC_VALUE_SCHEMAS = {
  [TOPICS.usersRaw]: RawUserEvent,
  [TOPICS.usersEnriched]: EnrichedUserEvent,
  [TOPICS.usersDlq]: DeadLetterEvent,
  [TOPICS.usersPersisted]: PersistedEvent,
} as const;

export function jsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [topic, schema] of Object.entries(TOPIC_VALUE_SCHEMAS)) {
    out[`${topic}.schema.json`] = z.toJSONSchema(schema, { target: 'draft-2020-12' });
  }
  out['randomuser-response.schema.json'] = z.toJSONSchema(RandomUserResponse, { target: 'draft-2020-12' });
  return out;
}
