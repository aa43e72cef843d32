import { type Kafka, type Message, Partitioners } from 'kafkajs';
import { uniqueName } from './unique';

/** The topics and consumer groups a suite makes on the shared broker, each named from a prefix. */
export interface ScratchKafka {
  /**
   * Creates a topic (a unique name from `prefix`, one-hour retention, the broker's 1 MB message limit)
   * holding `messages` once every one was acknowledged. Resolves to its name.
   */
  topic(prefix: string, messages?: readonly Message[], opts?: { partitions?: number }): Promise<string>;
  /** A unique topic name from `prefix` that the test, or the code under test, creates. */
  topicName(prefix: string): string;
  /** A unique consumer group name from `prefix`; every consumer of it must have left by the suite's end. */
  group(prefix: string): string;
}

/**
 * Scratch topics and groups of the suite that calls it (at the top of a file or in a `describe`): after
 * the suite, `afterAll` deletes its groups, then its topics. A deletion that fails fails the suite, naming
 * what is left on the broker; the tests' own failures are reported first, as they were.
 */
export function scratchKafka(kafka: Kafka): ScratchKafka {
  const topics: string[] = [];
  const groups: string[] = [];
  afterAll(() => deleteFromBroker(kafka, { groups, topics }));
  const topicName = (prefix: string) => {
    const name = uniqueName(prefix);
    topics.push(name);
    return name;
  };
  return {
    topicName,
    async topic(prefix, messages = [], opts = {}) {
      const topic = topicName(prefix);
      await createTopicHolding(kafka, topic, messages, opts.partitions ?? 1);
      return topic;
    },
    group(prefix) {
      const name = uniqueName(prefix);
      groups.push(name);
      return name;
    },
  };
}

/**
 * Deletes `groups`, then `topics`; a group or topic the broker does not have counts as deleted. A group
 * is deleted only once its consumers have left: disconnect them first. Throws one error naming every
 * group and topic it could not delete, after trying them all.
 */
export async function deleteFromBroker(
  kafka: Kafka,
  { groups = [], topics = [] }: { groups?: readonly string[]; topics?: readonly string[] },
): Promise<void> {
  if (!groups.length && !topics.length) return;
  const failures: string[] = [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (groups.length) {
      try {
        await admin.deleteGroups([...groups]);
      } catch (error) {
        const failed = (error as { groups?: { groupId: string; error?: { type?: string } }[] }).groups;
        if (!failed) failures.push(`groups ${groups.join(', ')}: ${(error as Error).message}`);
        for (const g of failed ?? []) {
          const type = g.error?.type;
          if (type === 'GROUP_ID_NOT_FOUND') continue;
          const why = type === 'NON_EMPTY_GROUP' ? ' (a consumer of it has not left)' : '';
          failures.push(`group ${g.groupId}: ${type}${why}`);
        }
      }
    }
    for (const topic of topics) {
      try {
        await admin.deleteTopics({ topics: [topic] });
      } catch (error) {
        if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') {
          failures.push(`topic ${topic}: ${(error as Error).message}`);
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (failures.length) throw new Error(`left on the broker: ${failures.join('; ')}`);
}

async function createTopicHolding(
  kafka: Kafka,
  topic: string,
  messages: readonly Message[],
  partitions: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: partitions,
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
}
