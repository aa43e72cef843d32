import { Producer, type SendOptions } from '@platformatic/kafka';
import { SERVICE_CLIENT_BOUNDS } from '../kafka-client';
import { createKafka } from '../kafka-client';
import { PlatformaticSender } from './platformatic-sender';
import { platformaticSender } from './record-senders';

const origin = {
  settings: {
    brokers: ['127.0.0.1:1'],
    clientId: 'platformatic-sender-spec',
    credentials: { mechanism: 'scram-sha-512' as const, username: 'u', password: 'p' },
  },
  bounds: SERVICE_CLIENT_BOUNDS,
};

describe('PlatformaticSender', () => {
  afterEach(() => jest.restoreAllMocks());

  it('asks every send for the acknowledgement of all in-sync replicas, with each record in its chosen partition', async () => {
    const sent: SendOptions<unknown, unknown, unknown, unknown>[] = [];
    jest.spyOn(Producer.prototype, 'send').mockImplementation((async (
      options: SendOptions<unknown, unknown, unknown, unknown>,
    ) => {
      sent.push(options);
      return { offsets: [{ topic: 't', partition: 4, offset: 17n }] };
    }) as never);
    const sender = new PlatformaticSender(origin, 'none');

    const answers = await sender.send('t', [{ key: 'k', value: 'v', headers: { h: 'x' }, partition: 4 }]);

    expect(sent).toHaveLength(1);
    // The library's default for a send that is not idempotent is the leader's acknowledgement alone.
    expect(sent[0].acks).toBe(-1);
    expect(sent[0].messages).toEqual([
      { topic: 't', partition: 4, key: 'k', value: 'v', headers: { h: 'x' } },
    ]);
    expect(answers).toEqual([{ topicName: 't', partition: 4, errorCode: 0, baseOffset: '17' }]);
    await sender.disconnect();
  });

  it('sends through a new client after a disconnect, as the kafkajs producer connects again', async () => {
    const sentBy: object[] = [];
    const closed: object[] = [];
    jest.spyOn(Producer.prototype, 'send').mockImplementation(async function (this: object) {
      sentBy.push(this);
      return { offsets: [] };
    } as never);
    jest.spyOn(Producer.prototype, 'close').mockImplementation(async function (this: object) {
      closed.push(this);
    } as never);
    const sender = platformaticSender(
      createKafka(origin.settings, () => undefined),
      'none',
    );
    const record = { key: 'k', value: 'v', partition: 0 };

    await sender.send('t', [record]);
    await sender.disconnect();
    await sender.send('t', [record]);

    expect(closed).toEqual([sentBy[0]]);
    expect(sentBy[1]).not.toBe(sentBy[0]);
  });
});
