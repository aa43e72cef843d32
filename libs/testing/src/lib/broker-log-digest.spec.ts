import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerLogDigest } from './broker-log-digest';

const home = () => mkdtempSync(join(tmpdir(), 'sparkflow-broker-logs-'));

function log(dir: string, broker: string, file: string, lines: string[]): void {
  mkdirSync(join(dir, broker, 'logs'), { recursive: true });
  writeFileSync(join(dir, broker, 'logs', file), `${lines.join('\n')}\n`);
}

const timeout = (time: string, member: string) =>
  `[2026-12-01 ${time}] ERROR [GroupCoordinator id=1 topic=__consumer_offsets partition=2] The write event ` +
  `Timeout(key=heartbeat-sparkflow-persistence-persistence-${member}) timed out after 5000ms (x)`;
const trace = 'org.apache.kafka.common.errors.TimeoutException: The write event timed out after 5000ms';
/** The brokers write local time; so does this, so the filter reads it as they meant it. */
const local = (time: string) => new Date(`2026-12-01T${time}`);

describe('brokerLogDigest', () => {
  it("keeps each broker's telling lines since the given time, rolled files first, a repeat once with its count", () => {
    const dir = home();
    log(dir, 'kafka-1', 'server.log.1', [
      '[2026-12-01 14:12:26,593] INFO [QuorumController id=1] Fencing broker 3 at epoch 20 (an earlier run)',
      '[2026-12-01 14:14:13,519] INFO [QuorumController id=1] Fencing broker 3 at epoch 280 (x)',
    ]);
    log(dir, 'kafka-1', 'server.log', [
      '[2026-12-01 14:14:13,600] INFO [QuorumController id=1] Fencing broker 2 at epoch 288 (x)',
      '[2026-12-01 14:14:14,000] INFO [LogLoader] nothing to see (x)',
      timeout('14:15:06,866', 'a465db82-61e6-4fe4-9eba-0123456789ab'),
      trace,
      '[2026-12-01 14:15:07,000] INFO [GroupCoordinator id=1] Finished loading of metadata from __consumer_offsets-2 (x)',
      timeout('14:15:11,000', 'b465db82-61e6-4fe4-9eba-0123456789ab'),
      trace,
      timeout('14:26:21,339', 'c465db82-61e6-4fe4-9eba-0123456789ab'),
      trace,
    ]);
    log(dir, 'kafka-2', 'server.log', [
      '[2026-12-01 14:14:46,579] INFO [Partition] ISR updated to 2,1,3 (x)',
    ]);
    mkdirSync(join(dir, 'cassandra-1', 'logs'), { recursive: true });

    const digest = brokerLogDigest(dir, local('14:13:00')).split('\n');

    expect(digest).toEqual([
      expect.stringMatching(
        /^kafka-1: 7 lines since \S+ in \S+kafka-1\/logs, 3 of them a timeout; the last 3 of what it said:$/,
      ),
      '  14:14:13,519–14:14:13,600 ×2 INFO [QuorumController id=1] Fencing broker 2 at epoch 288 (x)',
      '  14:15:07,000 INFO [GroupCoordinator id=1] Finished loading of metadata from __consumer_offsets-2 (x)',
      '  14:15:06,866–14:26:21,339 ×3 ERROR [GroupCoordinator id=1 topic=__consumer_offsets partition=2] The write ' +
        'event Timeout(key=heartbeat-sparkflow-persistence-persistence-c465db82-61e6-4fe4-9eba-0123456789ab) timed out ' +
        'after 5000ms (x)',
      expect.stringMatching(/^kafka-2: 1 lines since .*, 0 of them a timeout; the last 1 of what it said:$/),
      '  14:14:46,579 INFO [Partition] ISR updated to 2,1,3 (x)',
    ]);
  });

  it('keeps only the entries last seen, each cut to 400 characters', () => {
    const dir = home();
    log(
      dir,
      'kafka-1',
      'server.log',
      ['a', 'b', 'c', 'd'].map((w) => `[2026-12-01 14:00:00,000] WARN ${w} ${'x'.repeat(1000)}`),
    );
    const digest = brokerLogDigest(dir, new Date(0), 2).split('\n');
    expect(digest.slice(1).map((l) => l.slice(0, 22))).toEqual([
      '  14:00:00,000 WARN c ',
      '  14:00:00,000 WARN d ',
    ]);
    expect(digest[1]).toHaveLength(2 + '14:00:00,000 '.length + 400 + 1);
  });

  it('says so when a broker has no log, or the home no broker', () => {
    const dir = home();
    mkdirSync(join(dir, 'kafka-3'));
    expect(brokerLogDigest(dir)).toMatch(/^kafka-3: no .*kafka-3\/logs\/server\.log$/);
    expect(brokerLogDigest(join(dir, 'missing'))).toMatch(/^no broker under /);
  });
});
