/**
 * A smoke run of the stack: one randomuser-shaped record produced to users.raw, read back from Kafka,
 * upserted into Cassandra as the application role and read back, with each step printed.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { RawUserEvent, SCHEMA_VERSION, TOPICS, HEADERS, type RandomUser } from '@sparkflow/contracts';
import { createCassandraClient } from '@sparkflow/cassandra';
import { integrationSettings } from '@sparkflow/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './config';

const UPSERT = 'INSERT INTO users (user_id, username, full_name, email, postcode, country, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)';
const SELECT = 'SELECT user_id, full_name, email, postcode, country FROM users WHERE user_id = ?';

async function main(): Promise<void> {
  const s = integrationSettings();
  const fixture = join(REPO_ROOT, 'libs/contracts/src/fixtures/randomuser-response.json');
  const user = (JSON.parse(readFileSync(fixture, 'utf8')) as { results: RandomUser[] }).results[0];
  const event = RawUserEvent.parse({
    eventId: randomUUID(),
    schemaVersion: SCHEMA_VERSION,
    source: 'synthetic',
    batchId: `smoke-${new Date().toISOString()}`,
    producedAt: new Date().toISOString(),
    payload: user,
  });

  const kafka = new Kafka({ clientId: 'sparkflow-smoke', brokers: s.KAFKA_BROKERS.split(','), logLevel: logLevel.ERROR });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const [meta] = await producer.send({
    topic: TOPICS.usersRaw,
    acks: -1,
    messages: [{ key: user.login.uuid, value: JSON.stringify(event), headers: { [HEADERS.eventId]: event.eventId } }],
  });
  await producer.disconnect();
  console.log(`produced event ${event.eventId} to ${TOPICS.usersRaw} partition ${meta.partition} offset ${meta.baseOffset}`);

  const consumer = kafka.consumer({ groupId: `sparkflow-smoke-${event.eventId}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.usersRaw });
  const received = await new Promise<RawUserEvent>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          const parsed = RawUserEvent.parse(JSON.parse(message.value?.toString() ?? 'null'));
          if (parsed.eventId === event.eventId) resolve(parsed);
        },
      })
      .catch(reject);
    consumer.seek({ topic: TOPICS.usersRaw, partition: meta.partition, offset: meta.baseOffset ?? '0' });
  });
  await consumer.disconnect();
  console.log(`consumed it back: ${received.payload.name.first} ${received.payload.name.last} <${received.payload.email}>`);

  const cassandra = createCassandraClient({
    contactPoints: s.CASSANDRA_CONTACT_POINTS.split(','),
    localDataCenter: s.CASSANDRA_LOCAL_DC,
    username: s.CASSANDRA_USERNAME,
    password: s.CASSANDRA_PASSWORD,
    keyspace: s.CASSANDRA_KEYSPACE,
  });
  const p = received.payload;
  await cassandra.execute(
    UPSERT,
    [p.login.uuid, p.login.username, `${p.name.first} ${p.name.last}`, p.email, String(p.location.postcode), p.location.country, new Date()],
    { prepare: true },
  );
  const row = (await cassandra.execute(SELECT, [p.login.uuid], { prepare: true })).first();
  await cassandra.shutdown();
  console.log(
    `Cassandra ${s.CASSANDRA_KEYSPACE}.users[${String(row['user_id'])}] = ${String(row['full_name'])}, postcode "${String(row['postcode'])}", ${String(row['country'])}`,
  );
}

main().catch((err: unknown) => {
  console.error(`smoke run failed: ${(err as Error).message}`);
  process.exit(1);
});
