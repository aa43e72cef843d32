import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKFILL_MIGRATIONS } from '@sparkflow/backfill-store';
import { TOPICS } from '@sparkflow/contracts';
import { IDEMPOTENCY_MIGRATIONS } from '@sparkflow/idempotency-store';
import { BackfillsService } from '@sparkflow/ingestion-core';
import { RATE_LIMIT_MIGRATIONS } from '@sparkflow/rate-limit-store';
import { API_KEY_HEADER } from '@sparkflow/service-kit';
import {
  type ScratchDatabase,
  exceptionBody,
  integrationSettings,
  kafkaConnection,
  scratchPostgresDatabase,
  uniqueName,
} from '@sparkflow/testing';
import { ingestionReplica } from './testing/ingestion-replica';
import { markTopics, ofBatch, producedSince } from './testing/produced-since';

/**
 * Two ingestion replicas (the whole IngestionModule, twice) against the stack's Kafka and PostgreSQL (a
 * database of the test's own): a large backfill worked by one is cancelled through the other; its holder
 * stops after the chunk it had in flight, what reached users.raw is what its progress counts, it leaves
 * `GET /v1/backfills?status=running` only once that chunk is counted, and neither replica takes the
 * cancelled backfill up again once its holder is gone.
 */
const s = integrationSettings();
const kafka = new Kafka({ clientId: 'backfill-cancel-it', ...kafkaConnection(s), logLevel: logLevel.WARN });
const API_KEY = 'backfill-cancel-key';
// 200,000 people: far more than are produced in the moment before the cancel.
const PER_DAY = 100_000;

interface Backfill {
  id: string;
  status: string;
  attempts: number;
  batches: { day: string; batchId: string; expected: number; produced: number }[];
}

describe('a backfill cancelled through another ingestion replica', () => {
  let scratch: ScratchDatabase;
  const replicas: INestApplication[] = [];

  beforeAll(async () => {
    scratch = await scratchPostgresDatabase('ingestion_backfill_cancel_it', [
      ...BACKFILL_MIGRATIONS,
      ...RATE_LIMIT_MIGRATIONS,
      ...IDEMPOTENCY_MIGRATIONS,
    ]);
    for (let i = 0; i < 2; i++)
      replicas.push(await ingestionReplica(scratch, { INGESTION_API_KEYS: API_KEY }));
  });
  afterAll(async () => {
    for (const app of replicas) await app.close();
    await scratch?.drop();
  });

  const call = async (app: INestApplication, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${await app.getUrl()}${path}`, {
      method,
      headers: {
        [API_KEY_HEADER]: API_KEY,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Backfill & { code?: string; message?: string } };
  };
  const producedOf = (b: Backfill) => b.batches.reduce((n, x) => n + x.produced, 0);
  const listedAsRunning = async (app: INestApplication, id: string) => {
    const res = await fetch(`${await app.getUrl()}/v1/backfills?status=running`, {
      headers: { [API_KEY_HEADER]: API_KEY },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { backfills: Backfill[] }).backfills.find((b) => b.id === id);
  };

  it('stops producing after the chunk in flight, keeps what was produced, and is never resumed', async () => {
    const mark = await markTopics(kafka);
    const [holder, other] = replicas;
    const today = new Date();
    const yesterday = new Date(today.getTime() - 86_400_000);
    const started = await call(holder, 'POST', '/v1/backfills', {
      from: yesterday.toISOString().slice(0, 10),
      to: today.toISOString().slice(0, 10),
      perDay: PER_DAY,
      seed: uniqueName('cancel'),
    });
    expect(started.status).toBe(202);
    const { id } = started.body;
    const total = PER_DAY * 2;

    // Cancelled once the holder has produced some of it, through the replica that does not hold it.
    for (let seen = started.body; producedOf(seen) === 0;) {
      seen = (await call(other, 'GET', `/v1/backfills/${id}`)).body;
      expect(seen.status).toBe('running');
    }
    const cancelled = await call(other, 'DELETE', `/v1/backfills/${id}`);
    expect(cancelled).toMatchObject({ status: 202, body: { id, status: 'cancelled', attempts: 1 } });
    const atCancel = producedOf(cancelled.body);
    expect(atCancel).toBeGreaterThan(0);

    // Listed as still producing (as cancelled) until the chunk in flight is counted: once it leaves the
    // list, what it produced is final (what users_daily_aggregates relies on, ADR 23).
    let producedWhenLeft: number | undefined;
    for (const asked = Date.now(); producedWhenLeft === undefined && Date.now() - asked < 30_000;) {
      const listed = await listedAsRunning(other, id);
      if (listed) {
        expect(listed.status).toBe('cancelled');
        // Asked again shortly, well within the key's rate limit.
        await sleep(20);
      } else producedWhenLeft = producedOf((await call(other, 'GET', `/v1/backfills/${id}`)).body);
    }
    expect(producedWhenLeft).toBeDefined();

    // The holder stops after the chunk it had in flight (chunks of 500), and records it.
    await holder.get(BackfillsService).settled(id);
    const stopped = await call(holder, 'GET', `/v1/backfills/${id}`);
    expect(stopped.body.status).toBe('cancelled');
    const produced = producedOf(stopped.body);
    expect(produced).toBeGreaterThanOrEqual(atCancel);
    expect(produced).toBeLessThanOrEqual(atCancel + 500);
    expect(produced).toBeLessThan(total);
    expect(produced).toBe(producedWhenLeft);
    // Cancelling again answers the backfill as it stands, from either replica.
    for (const app of replicas)
      expect(await call(app, 'DELETE', `/v1/backfills/${id}`)).toEqual({ status: 202, body: stopped.body });

    // What reached users.raw is exactly what its progress counts: nothing lost, nothing beyond.
    const seen = await producedSince(kafka, mark);
    for (const batch of stopped.body.batches)
      expect([batch.batchId, ofBatch(seen, batch.batchId, TOPICS.usersRaw).length]).toEqual([
        batch.batchId,
        batch.produced,
      ]);

    // Its holder gone (its lease would lapse as a dead replica's), the other replica takes nothing over.
    await holder.close();
    replicas.splice(replicas.indexOf(holder), 1);
    await scratch.ds.query(
      `UPDATE ingestion.backfills SET lease_until = now() - interval '1 second' WHERE id = $1`,
      [id],
    );
    expect(await other.get(BackfillsService).takeOverOne()).toBeNull();
    const after = await call(other, 'GET', `/v1/backfills/${id}`);
    expect(after).toEqual(stopped);
    expect(after.body.attempts).toBe(1);
  });

  it('refuses to cancel a backfill that was produced (409 naming its state) or that does not exist (404)', async () => {
    const [app] = replicas;
    const today = new Date().toISOString().slice(0, 10);
    const { body } = await call(app, 'POST', '/v1/backfills', {
      from: today,
      to: today,
      perDay: 5,
      seed: uniqueName('cancel'),
    });
    await app.get(BackfillsService).settled(body.id);
    const message = `backfill ${body.id} is already produced: only a running backfill can be cancelled`;
    expect(await call(app, 'DELETE', `/v1/backfills/${body.id}`)).toEqual({
      status: 409,
      body: exceptionBody(409, 'CONFLICT', message, 'id'),
    });
    const unknown = '5f0c7d1e-8a43-4b6e-9b0e-3c2a1d4e5f60';
    expect(await call(app, 'DELETE', `/v1/backfills/${unknown}`)).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND', reasons: [{ code: 'NOT_FOUND', path: 'id' }] },
    });
  });
});
