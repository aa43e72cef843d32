import { type Kafka, type Message, Partitioners } from 'kafkajs';
import { uniqueName } from './unique';

/**
 * A fresh topic of the integration specs' own (a unique name from `prefix`, one-hour retention, the
 * broker's 1 MB message limit), holding `messages` once every one was acknowledged. Resolves to its name.
 */
export async function topicHolding(
  kafka: Kafka,
  prefix: string,
  messages: readonly Message[],
  opts: { partitions?: number } = {},
): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: opts.partitions ?? 1,
          replicationFactor: 1,
          configEntries: [
            { name: 'retention.ms', value: '3600000' },
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'max.message.bytes', value: '1048588' },
          ],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  if (messages.length) {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [...messages] });
    } finally {
      await producer.disconnect();
    }
  }
  return topic;
}
