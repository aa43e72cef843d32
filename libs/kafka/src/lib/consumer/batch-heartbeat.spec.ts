import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { BatchHeartbeat, isRebalance } from './batch-heartbeat';

const protocol = (type: string) =>
  new KafkaJSProtocolError({ message: `broker: ${type}`, type, code: 0, retriable: false } as never);
const gaveUp = (e: Error) => Object.assign(new KafkaJSNonRetriableError(e), { cause: e });
/** Never fires during a test: each spec calls beat() itself. */
const NEVER = 2 ** 30;

describe('isRebalance', () => {
  it('calls the coordinator asking the member to rejoin a rebalance, however kafkajs wrapped it', () => {
    expect(isRebalance(protocol('REBALANCE_IN_PROGRESS'))).toBe(true);
    expect(isRebalance(gaveUp(protocol('ILLEGAL_GENERATION')))).toBe(true);
    expect(isRebalance(protocol('UNKNOWN_MEMBER_ID'))).toBe(true);
  });

  it('calls neither a lost connection nor another error a rebalance', () => {
    expect(isRebalance(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(false);
    expect(isRebalance(protocol('GROUP_AUTHORIZATION_FAILED'))).toBe(false);
    expect(isRebalance(new Error('REBALANCE_IN_PROGRESS'))).toBe(false);
  });
});

describe('BatchHeartbeat', () => {
  it('remembers a rebalance a heartbeat was answered with, instead of throwing it into the batch', async () => {
    const answers = [() => Promise.resolve(), () => Promise.reject(protocol('REBALANCE_IN_PROGRESS'))];
    const beat = new BatchHeartbeat(
      () => answers.shift()!(),
      NEVER,
      () => false,
    );
    await beat.beat();
    expect(beat.rebalancing).toBe(false);
    await expect(beat.beat()).resolves.toBeUndefined();
    expect(beat.rebalancing).toBe(true);
    beat.stop();
  });

  it('leaves other heartbeat failures to kafkajs and sends none once the batch is revoked', async () => {
    let sent = 0;
    let revoked = false;
    const beat = new BatchHeartbeat(
      async () => {
        sent++;
        throw new KafkaJSConnectionError('Connection error: ECONNRESET');
      },
      NEVER,
      () => revoked,
    );
    await expect(beat.beat()).resolves.toBeUndefined();
    expect(beat.rebalancing).toBe(false);
    revoked = true;
    await beat.beat();
    expect(sent).toBe(1);
    beat.stop();
  });
});
