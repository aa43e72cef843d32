import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerLogDigest } from './broker-log-digest';

const home = () => mkdtempSync(join(tmpdir(), 'sparkflow-broker-logs-'));

function broker(dir: string, name: string, lines: string[]): void {
  mkdirSync(join(dir, name, 'logs'), { recursive: true });
  writeFileSync(join(dir, name, 'logs', 'server.log'), `${lines.join('\n')}\n`);
}

const timeout = (time: string, member: string) =>
  `[2026-12-01 ${time}] ERROR [GroupCoordinator id=1 topic=__consumer_offsets partition=2] The write event ` +
  `Timeout(key=heartbeat-sparkflow-persistence-persistence-${member}) timed out after 5000ms (x)`;

describe('brokerLogDigest', () => {
  it("keeps each broker's telling lines, a repeated message once with its count, and counts its timeouts", () => {
    const dir = home();
    broker(dir, 'kafka-1', [
      '[2026-12-01 14:14:13,519] INFO [QuorumController id=1] Fencing broker 2 at epoch 288 (x)',
      '[2026-12-01 14:14:14,000] INFO [LogLoader] nothing to see (x)',
      timeout('14:15:06,866', 'a465db82-61e6-4fe4-9eba-0123456789ab'),
      '[2026-12-01 14:15:07,000] INFO [GroupCoordinator id=1] Finished loading of metadata from __consumer_offsets-2 (x)',
      timeout('14:15:11,000', 'b465db82-61e6-4fe4-9eba-0123456789ab'),
      timeout('14:26:21,339', 'c465db82-61e6-4fe4-9eba-0123456789ab'),
    ]);
    broker(dir, 'kafka-2', ['[2026-12-01 14:14:46,579] INFO [Partition] ISR updated to 2,1,3 (x)']);
    mkdirSync(join(dir, 'cassandra-1', 'logs'), { recursive: true });

    const digest = brokerLogDigest(dir).split('\n');

    expect(digest).toEqual([
      expect.stringMatching(
        /^kafka-1: 6 lines in .*server\.log, 3 of them a timeout; the last 3 of what it said:$/,
      ),
      '  14:14:13,519 INFO [QuorumController id=1] Fencing broker 2 at epoch 288 (x)',
      '  14:15:07,000 INFO [GroupCoordinator id=1] Finished loading of metadata from __consumer_offsets-2 (x)',
      '  14:15:06,866–14:26:21,339 ×3 ERROR [GroupCoordinator id=1 topic=__consumer_offsets partition=2] The write ' +
        'event Timeout(key=heartbeat-sparkflow-persistence-persistence-a465db82-61e6-4fe4-9eba-0123456789ab) timed out ' +
        'after 5000ms (x)',
      expect.stringMatching(/^kafka-2: 1 lines in .*, 0 of them a timeout; the last 1 of what it said:$/),
      '  14:14:46,579 INFO [Partition] ISR updated to 2,1,3 (x)',
    ]);
  });

  it('keeps only the entries last seen, each cut to 400 characters', () => {
    const dir = home();
    broker(
      dir,
      'kafka-1',
      ['a', 'b', 'c', 'd'].map((w) => `[2026-12-01 14:00:00,000] WARN ${w} ${'x'.repeat(1000)}`),
    );
    const digest = brokerLogDigest(dir, 2).split('\n');
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
