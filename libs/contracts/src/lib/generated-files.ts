import { jsonSchemas } from './json-schemas';
import { TOPIC_SPECS, TOPICS } from './topics';
import { HEADERS } from './headers';
import { SCHEMA_VERSION } from './envelope';
import { MAX_AGE_YEARS } from './person-dates';
import { CASSANDRA_CONSISTENCY_LEVEL, CASSANDRA_SERIAL_CONSISTENCY_LEVEL } from './topology';
import { FIRST_EVENT_DAY_TIMESTAMP_BASE } from './first-event-day';

/** File name → exact content of everything under `libs/contracts/generated/`. */
export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  files['topics.json'] = json({
    schemaVersion: SCHEMA_VERSION,
    topics: TOPICS,
    specs: TOPIC_SPECS,
    headers: HEADERS,
  });
  // Bounds a Python job checks the same way a service does (the Spark aggregation's earliest --date).
  files['limits.json'] = json({ maxAgeYears: MAX_AGE_YEARS });
  // The consistency level the Spark jobs give the Spark Cassandra Connector, as the services' driver uses,
  // and the base of first_event_day's write timestamps (a string: it is past JSON's exact integers).
  files['cassandra.json'] = json({
    consistency: CASSANDRA_CONSISTENCY_LEVEL,
    serialConsistency: CASSANDRA_SERIAL_CONSISTENCY_LEVEL,
    firstEventDayTimestampBase: String(FIRST_EVENT_DAY_TIMESTAMP_BASE),
  });
  for (const [name, schema] of Object.entries(jsonSchemas())) files[name] = json(schema);
  return files;
}
