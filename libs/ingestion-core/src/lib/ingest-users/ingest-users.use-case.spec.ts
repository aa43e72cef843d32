import { eventTimeMicros, type RandomUser, type RawUserEvent } from '@sparkflow/contracts';
import type { EventProducer } from '@sparkflow/kafka';
import { EventClock, IngestUsersUseCase } from './ingest-users.use-case';

/** Records what would be produced; the broker is not what these tests are about. */
function recordingProducer() {
  const sent: RawUserEvent[] = [];
  const producer = {
    send: (_topic: string, messages: { event: RawUserEvent }[]) => {
      sent.push(...messages.map((m) => m.event));
      return Promise.resolve();
    },
  } as unknown as EventProducer;
  return { producer, sent };
}

const person = (uuid: string) => ({ login: { uuid } }) as unknown as RandomUser;
const SAME = '0b6cf0a8-52b4-4c0e-9a35-2d6f1f0b1c11';

describe('event times stamped at ingestion', () => {
  it('gives every event of a request its own microsecond, increasing in request order', async () => {
    const { producer, sent } = recordingProducer();
    const clock = new EventClock(() => 1_796_007_600_000_000n);
    await new IngestUsersUseCase(producer, clock).execute({
      users: [person(SAME), person(SAME), person(SAME)],
      source: 'http-push',
    });
    expect(sent.map((e) => e.producedAt)).toEqual([
      '2026-11-30T03:00:00.000000Z',
      '2026-11-30T03:00:00.000001Z',
      '2026-11-30T03:00:00.000002Z',
    ]);
  });

  it('stamps a later request after every event of an earlier one, even when the wall clock has not moved or went back', async () => {
    const { producer, sent } = recordingProducer();
    let now = 1_796_007_600_000_000n;
    const clock = new EventClock(() => now);
    const ingest = new IngestUsersUseCase(producer, clock);
    await ingest.execute({ users: [person(SAME), person(SAME)], source: 'http-push' });
    now -= 5_000_000n;
    await ingest.execute({ users: [person(SAME)], source: 'http-push' });
    const times = sent.map((e) => eventTimeMicros(e.producedAt));
    expect(times).toEqual([1_796_007_600_000_000n, 1_796_007_600_000_001n, 1_796_007_600_000_002n]);
  });

  it('follows the wall clock once it is ahead of the last stamp', () => {
    let now = 1_000n;
    const clock = new EventClock(() => now);
    expect(clock.reserve(10)).toBe(1_000n);
    now = 5_000n;
    expect(clock.reserve(1)).toBe(5_000n);
  });

  it('reads the wall clock other processes read, also after it stepped ahead of the monotonic clock', () => {
    // A machine resumed from suspend: Date.now() jumped an hour, performance.now() did not move.
    const stepped = Date.now() + 3_600_000;
    const wall = jest.spyOn(Date, 'now').mockReturnValue(stepped);
    try {
      expect(new EventClock().reserve(1)).toBe(BigInt(stepped) * 1000n);
    } finally {
      wall.mockRestore();
    }
  });
});
