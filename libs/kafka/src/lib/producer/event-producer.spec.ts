import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, type Kafka, type Producer } from 'kafkajs';
import { EventProducer } from './event-producer';

/** A kafkajs producer whose sends answer from a script: an error to throw, or success. */
function scriptedKafka(script: (Error | 'ok')[]) {
  const producers: { connects: number; disconnects: number; sends: number }[] = [];
  const kafka = {
    producer: () => {
      const p = { connects: 0, disconnects: 0, sends: 0 };
      producers.push(p);
      return {
        connect: async () => void p.connects++,
        disconnect: async () => void p.disconnects++,
        send: async () => {
          p.sends++;
          const next = script.shift() ?? 'ok';
          if (next !== 'ok') throw next;
          return [{ topicName: 't', partition: 0, errorCode: 0 }];
        },
      } as unknown as Producer;
    },
  } as unknown as Kafka;
  return { kafka, producers };
}

/** What kafkajs throws after its retries: the broker's error (kafkajs copies `type` and `code` from it) inside. */
const brokerSays = (type: string) =>
  new KafkaJSNumberOfRetriesExceeded(
    new KafkaJSProtocolError(Object.assign(new Error(type), { type, code: 45, retriable: false })),
    { retryCount: 5, retryTime: 1000 },
  );

const record = { key: 'k', value: 'v' };

describe('EventProducer after the broker lost its session', () => {
  it('sends again on a new producer session when the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    const { kafka, producers } = scriptedKafka([brokerSays('OUT_OF_ORDER_SEQUENCE_NUMBER'), 'ok']);
    const producer = new EventProducer(kafka);
    await expect(producer.sendRecords('t', [record])).resolves.toHaveLength(1);
    expect(producers).toEqual([
      { connects: 1, disconnects: 1, sends: 1 },
      { connects: 1, disconnects: 0, sends: 1 },
    ]);
  });

  it('starts one new session for all the sends that failed on the old one', async () => {
    const lost = () => brokerSays('UNKNOWN_PRODUCER_ID');
    const { kafka, producers } = scriptedKafka([lost(), lost(), lost()]);
    const producer = new EventProducer(kafka);
    await producer.connect();
    await Promise.all([1, 2, 3].map(() => producer.sendRecords('t', [record])));
    expect(producers).toHaveLength(2);
    expect(producers[1]).toEqual({ connects: 1, disconnects: 0, sends: 3 });
  });

  it('passes any other refusal on, on the same session', async () => {
    const { kafka, producers } = scriptedKafka([brokerSays('TOPIC_AUTHORIZATION_FAILED')]);
    const producer = new EventProducer(kafka);
    await expect(producer.sendRecords('t', [record])).rejects.toThrow(KafkaJSNumberOfRetriesExceeded);
    expect(producers).toHaveLength(1);
  });
});
