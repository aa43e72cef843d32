import { DeadLetterEvent, SparkflowErrorCode, TOPICS } from '@sparkflow/contracts';
import type { EventProducer } from '@sparkflow/kafka';
import { generateUsers } from '@sparkflow/sources';
import { IngestUsersUseCase } from '../ingest-users/ingest-users.use-case';
import { PushUsersUseCase } from './push-users.use-case';

/** A producer that keeps what it was asked to send, as the broker would have acknowledged it. */
function recordingProducer() {
  const sent: { topic: string; messages: { key: string | null; event: unknown }[] }[] = [];
  const producer = {
    send: async (topic: string, messages: { key: string | null; event: unknown }[]) => {
      sent.push({ topic, messages });
    },
  } as unknown as EventProducer;
  return { sent, producer };
}

/** The use case over a recording producer, with the failure codes it reports kept in `counted`. */
function pushUseCase() {
  const { sent, producer } = recordingProducer();
  const counted: string[] = [];
  const push = new PushUsersUseCase(
    new IngestUsersUseCase(producer),
    producer,
    { maxUsers: 100, maxPersonBytes: 256 * 1024 },
    (codes) => counted.push(...codes),
  );
  return { push, sent, counted };
}

describe('PushUsersUseCase', () => {
  it('ingests the valid people, dead-letters each refused one with its reasons, and counts them by code', async () => {
    const { push, sent, counted } = pushUseCase();
    const [good, bad] = generateUsers({ seed: 'push-spec', count: 2 });
    const outcome = await push.execute([good, { ...bad, email: 42 }]);

    expect(outcome.status).toBe(202);
    if (outcome.status !== 202) return;
    expect(outcome.body.accepted).toBe(1);
    expect(outcome.body.rejected).toEqual([
      expect.objectContaining({
        index: 1,
        loginUuid: bad.login.uuid,
        reasons: [expect.objectContaining({ path: 'email' })],
      }),
    ]);

    const letters = sent.filter((s) => s.topic === TOPICS.usersDlq).flatMap((s) => s.messages);
    expect(letters).toHaveLength(1);
    const letter = DeadLetterEvent.parse(letters[0].event);
    expect(letter.payload).toMatchObject({
      stage: 'ingestion',
      originalTopic: TOPICS.usersRaw,
      key: bad.login.uuid,
      originalEventId: outcome.body.rejected[0].eventId,
      reasons: [expect.objectContaining({ code: SparkflowErrorCode.SchemaInvalid, path: 'payload.email' })],
    });
    expect(counted).toEqual([SparkflowErrorCode.SchemaInvalid]);
  });

  it('counts nothing when everyone is valid', async () => {
    const { push, counted } = pushUseCase();
    const outcome = await push.execute(generateUsers({ seed: 'push-spec', count: 3 }));
    expect(outcome).toMatchObject({ status: 202, body: { accepted: 3, rejected: [] } });
    expect(counted).toEqual([]);
  });
});
