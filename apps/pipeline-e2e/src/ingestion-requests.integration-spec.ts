import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import type { Client } from 'cassandra-driver';
import { TOPICS } from '@sparkflow/contracts';
import { randomUserResponse, topicEndOffsets } from '@sparkflow/testing';
import {
  API_KEY,
  INGESTION,
  cassandra,
  deadLettersOfBatch,
  kafka,
  post,
  settings,
  waitForBatch,
} from './pipeline-client';

/** randomuser.me responses as its `inc`/`exc` filters shape them, mixed requests, and hostile senders. */
const fixture = randomUserResponse() as unknown as { results: Record<string, unknown>[] };

/** A fixture person under a fresh login.uuid, so runs never share rows. */
function aPerson(i: number): Record<string, unknown> & { login: { uuid: string } } {
  const person = structuredClone(fixture.results[i % fixture.results.length]) as Record<string, unknown> & {
    login: { uuid: string };
  };
  person.login.uuid = randomUUID();
  return person;
}

const ingestionPid = () => readFileSync(join(settings.SPARKFLOW_HOME, 'run', 'ingestion.pid'), 'utf8').trim();

interface Answer {
  status: number;
  body: string;
}

/** A POST whose body the test writes by hand: `write` decides what of the declared body is ever sent. */
function rawPost(
  declaredBytes: number,
  headers: Record<string, string>,
  write: (req: ClientRequest) => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${INGESTION}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(declaredBytes), ...headers },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    // The server may close the connection once it answered; a connection closed without an answer is status 0.
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.flushHeaders();
    write(req);
  });
}

describe('ingestion requests on the real stack', () => {
  let client: Client;
  beforeAll(async () => {
    client = cassandra();
    await client.connect();
  });
  afterAll(() => client.shutdown());

  it('stores people of a response filtered with inc/exc, with nulls and the quality reasons that say why', async () => {
    const noRegistered = aPerson(0);
    delete noRegistered['registered'];
    const onlyNameAndEmail = {
      login: aPerson(1).login,
      name: aPerson(1)['name'],
      email: 'only.name@example.com',
    };
    const res = await post('/v1/users', { results: [noRegistered, onlyNameAndEmail] });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ accepted: 2, rejected: [] });
    await waitForBatch(String(res.json['batchId']), 120_000);

    const rs = await client.execute(
      'SELECT user_id, first_name, registered_at, registration_cohort, dob, age_band, country_code, quality_reason_codes FROM users WHERE user_id IN ?',
      [[noRegistered.login.uuid, onlyNameAndEmail.login.uuid]],
      { prepare: true },
    );
    const row = (id: string) => rs.rows.find((r) => String(r['user_id']) === id)!;
    expect(row(noRegistered.login.uuid)).toMatchObject({ registered_at: null, registration_cohort: null });
    expect(row(noRegistered.login.uuid)['dob']).not.toBeNull();
    expect(row(noRegistered.login.uuid)['quality_reason_codes']).toContain('missing-registered');
    expect(row(onlyNameAndEmail.login.uuid)).toMatchObject({ dob: null, age_band: null, country_code: null });
    expect(row(onlyNameAndEmail.login.uuid)['quality_reason_codes']).toEqual(
      expect.arrayContaining([
        'missing-dob',
        'missing-registered',
        'missing-location',
        'missing-nationality',
      ]),
    );
  });

  it('stores the good people of a mixed request and dead-letters the bad ones with their reasons; the batch completes', async () => {
    const good = [aPerson(0), aPerson(2), aPerson(3)];
    const badEmail = { ...aPerson(1), email: 42 };
    const badNat = { ...aPerson(4), nat: 'GBR', dob: { date: 'yesterday', age: 1 } };
    const dlqFrom = await topicEndOffsets(kafka, TOPICS.usersDlq);
    const res = await post('/v1/users', [good[0], badEmail, good[1], badNat, good[2]]);
    expect(res.status).toBe(202);
    const receipt = res.json as {
      batchId: string;
      accepted: number;
      rejected: { index: number; loginUuid: string; reasons: { path: string }[] }[];
    };
    expect(receipt.accepted).toBe(3);
    expect(receipt.rejected.map((r) => [r.index, r.loginUuid, r.reasons.map((e) => e.path).sort()])).toEqual([
      [1, badEmail.login.uuid, ['email']],
      [3, badNat.login.uuid, ['dob.date', 'nat']],
    ]);

    const counts = await waitForBatch(receipt.batchId, 120_000);
    expect(counts).toMatchObject({ expected: 5, ingested: 5, persisted: 3, deadLettered: 2, complete: true });
    const present = await client.execute(
      'SELECT user_id FROM users WHERE user_id IN ?',
      [[...good, badEmail, badNat].map((p) => p.login.uuid)],
      {
        prepare: true,
      },
    );
    expect(present.rows.map((r) => String(r['user_id'])).sort()).toEqual(
      good.map((p) => p.login.uuid).sort(),
    );

    const letters = await deadLettersOfBatch(receipt.batchId, 2, { from: dlqFrom });
    const letterOf = (uuid: string) => letters.find((l) => l.payload.key === uuid)!.payload;
    expect(letterOf(badEmail.login.uuid)).toMatchObject({
      stage: 'ingestion',
      originalTopic: 'users.raw',
      reasons: [expect.objectContaining({ code: 'SCHEMA_INVALID', path: 'payload.email' })],
    });
    // The dead letter holds the person as sent, in the users.raw envelope a replay publishes.
    expect((JSON.parse(letterOf(badNat.login.uuid).payload) as { payload: unknown }).payload).toEqual(badNat);
  });

  it('refuses a synthetic request above its documented limit with a 400 naming the limit and the alternative, and keeps running', async () => {
    const pid = ingestionPid();
    const res = await post('/v1/synthetic', { count: 1_000_000, seed: 'too-many' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toMatch(
      /at most \d+ users per request \(INGESTION_MAX_GENERATED_USERS\).*backfills/,
    );
    expect(ingestionPid()).toBe(pid);
    expect((await fetch(`${INGESTION}/health/ready`)).status).toBe(200);
  });

  it('answers 401 to a request without a key before its body is sent', async () => {
    const sent: number[] = [];
    const answer = await rawPost(50 * 1024 * 1024, {}, (req) => {
      // The first 64 KB of a 50 MB body, then nothing more: the answer must not wait for the rest.
      req.write('[' + ' '.repeat(64 * 1024));
      sent.push(64 * 1024);
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('a valid x-api-key header is required');
    expect(sent).toEqual([64 * 1024]);
  });

  it('cuts off senders that stall mid-body (408) and gives their share of the body budget back', async () => {
    const budget = 20 * 1024 * 1024;
    const maxBody = 5 * 1024 * 1024;
    const stallers = Array.from({ length: budget / maxBody }, () =>
      rawPost(maxBody, { 'x-api-key': API_KEY }, (req) => req.write('[{"login":')),
    );
    // While the stalled bodies hold the whole budget, another body is turned away...
    let busy: Answer = { status: 0, body: '' };
    for (let attempt = 0; attempt < 50 && busy.status !== 503; attempt++) {
      busy = await rawPost(2, { 'x-api-key': API_KEY }, (req) => req.end('[]'));
    }
    expect(busy.status).toBe(503);
    // ...until the idle timeout cuts them off and releases it.
    for (const s of await Promise.all(stallers))
      expect(s).toMatchObject({ status: 408, body: expect.stringContaining('idle') });
    const after = await post('/v1/users', [aPerson(0)]);
    expect(after.status).toBe(202);
  });
});
