import { randomUUID } from 'node:crypto';
import * as fc from 'fast-check';
import { EnrichedUserEvent, SparkflowErrorCode, formatEventTime } from '@sparkflow/contracts';
import { SparkflowException, type InboundMessage, type OutboundEvent } from '@sparkflow/kafka';
import { MICROS, aRandomUser, skewedBatch } from '@sparkflow/testing';
import { enrichUser } from '../enrich-user/enrich-user';
import { EnrichBatchUseCase } from './enrich-batch.use-case';

/** When the broker took every record of the sample. */
const NOW = new Date('2026-11-26T00:00:00.000Z');
const NOW_MICROS = BigInt(NOW.getTime()) * 1000n;
/** When enrichment reads them: a day later (a lagging consumer, a replay), which must not change a verdict. */
const READ_AT = new Date(NOW.getTime() + 86_400_000);

const message = (value: object, offset: number): InboundMessage => ({
  topic: 'users.raw',
  partition: 0,
  offset: String(offset),
  key: null,
  value: Buffer.from(JSON.stringify(value)),
  headers: {},
  timestamp: NOW.getTime(),
  traceHeaders: {},
});

describe('EnrichBatchUseCase, whatever the event time', () => {
  it('refuses a record exactly when its producedAt is ahead of its broker timestamp by more than the skew, however late it is read, or before the epoch, naming producedAt', async () => {
    const person = aRandomUser('GB');
    await fc.assert(
      fc.asyncProperty(skewedBatch, async ({ skewMs, offsets }) => {
        const sent: OutboundEvent[] = [];
        const producer = {
          send: async (_t: string, events: readonly OutboundEvent[]) => (sent.push(...events), []),
        };
        const raws = offsets.map((offset) => ({
          eventId: randomUUID(),
          schemaVersion: 1,
          source: 'synthetic',
          batchId: 'event-time',
          producedAt: formatEventTime(NOW_MICROS + offset),
          payload: person,
        }));
        const outcomes = await new EnrichBatchUseCase(producer as never, () => READ_AT, skewMs).execute(
          raws.map((r, i) => message(r, i)),
        );

        const produced: string[] = [];
        offsets.forEach((offset, i) => {
          const ahead = offset > BigInt(skewMs) * 1000n;
          const eventTime = new Date(raws[i].producedAt);
          // Whatever the payload's own fate at that time, which is enrichUser's to judge.
          const payloadOk = enrichUser(person, eventTime).ok;
          const outcome = outcomes[i];
          const reasons = outcome.status === 'failed' ? (outcome.error as SparkflowException).reasons : [];
          const atProducedAt = reasons.filter((r) => r.path === 'producedAt');
          if (ahead) {
            expect(atProducedAt).toEqual([
              {
                code: SparkflowErrorCode.SemanticInvalid,
                path: 'producedAt',
                message: expect.stringMatching(
                  new RegExp(
                    `^producedAt ${raws[i].producedAt} is \\d+\\.\\d{3} s( \\(\\d+ days\\))? ahead of when the broker took the record; ` +
                      `an event time may be at most ${Math.floor(skewMs / 1000)}\\.${String(skewMs % 1000).padStart(3, '0')} s`,
                  ),
                ),
              },
            ]);
            expect((outcome as { error: SparkflowException }).error.code).toBe(
              SparkflowErrorCode.SemanticInvalid,
            );
          } else if (NOW_MICROS + offset < 0n) {
            expect(atProducedAt).toEqual([
              {
                code: SparkflowErrorCode.SemanticInvalid,
                path: 'producedAt',
                message: `producedAt ${raws[i].producedAt} is before 1970-01-01T00:00:00Z, the earliest event time SparkFlow stores`,
              },
            ]);
          } else {
            expect(atProducedAt).toEqual([]);
            expect(outcome.status).toBe(payloadOk ? 'ok' : 'failed');
            if (payloadOk) produced.push(raws[i].eventId);
          }
        });
        // Only the accepted records go on, each with its event time unchanged.
        expect(sent.map((e) => EnrichedUserEvent.parse(e.event).eventId)).toEqual(produced);
        for (const e of sent) {
          const event = EnrichedUserEvent.parse(e.event);
          expect(event.producedAt).toBe(raws.find((r) => r.eventId === event.eventId)?.producedAt);
        }
      }),
      { seed: 20261202, numRuns: 300 },
    );
  });
});

/**
 * A person whose dates fall within the skew of the event time either side: a birthday, a date of birth or
 * a registration between when the broker took the record and its `producedAt`, where a verdict or an age
 * taken at the reader's clock would change with the reading.
 */
const personNear = (eventTime: bigint, skewMicros: bigint) =>
  fc
    .record({
      years: fc.integer({ min: 0, max: 130 }),
      dobShift: fc.bigInt({ min: -2n * skewMicros, max: 2n * skewMicros }),
      registeredShift: fc.bigInt({ min: -2n * skewMicros, max: 2n * skewMicros }),
    })
    .map(({ years, dobShift, registeredShift }) => {
      const person = aRandomUser('GB');
      const at = (micros: bigint) => new Date(Number(micros / 1000n));
      const dob = at(eventTime + dobShift);
      dob.setUTCFullYear(dob.getUTCFullYear() - years);
      person.dob = { date: dob.toISOString(), age: years };
      person.registered = { date: at(eventTime + registeredShift).toISOString(), age: 0 };
      return person;
    });

const readingsOf = fc.integer({ min: 1_000, max: 3_600_000 }).chain((skewMs) => {
  const skew = BigInt(skewMs) * 1000n;
  return fc.record({
    skewMs: fc.constant(skewMs),
    records: fc.array(
      fc
        .bigInt({ min: -2n * MICROS.day, max: skew })
        .chain((offset) => fc.tuple(fc.constant(offset), personNear(NOW_MICROS + offset, skew))),
      { minLength: 1, maxLength: 6 },
    ),
  });
});

describe('EnrichBatchUseCase, whenever it reads a record', () => {
  it('gives the same verdict, reasons and enriched cells to a record read at once and read a day later', async () => {
    const readAt = async (clock: Date, skewMs: number, raws: object[]) => {
      const sent: OutboundEvent[] = [];
      const producer = {
        send: async (_t: string, events: readonly OutboundEvent[]) => (sent.push(...events), []),
      };
      const outcomes = await new EnrichBatchUseCase(producer as never, () => clock, skewMs).execute(
        raws.map((r, i) => message(r, i)),
      );
      return {
        outcomes: outcomes.map((o) =>
          o.status === 'failed' ? { status: o.status, reasons: (o.error as SparkflowException).reasons } : o,
        ),
        sent: sent.map((e) => e.event),
      };
    };
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(readingsOf, async ({ skewMs, records }) => {
        const raws = records.map(([offset, person]) => ({
          eventId: randomUUID(),
          schemaVersion: 1,
          source: 'synthetic',
          batchId: 'read-time',
          producedAt: formatEventTime(NOW_MICROS + offset),
          payload: person,
        }));
        const atOnce = await readAt(NOW, skewMs, raws);
        expect(await readAt(READ_AT, skewMs, raws)).toEqual(atOnce);
        accepted += atOnce.sent.length;
      }),
      { seed: 20261202, numRuns: 300 },
    );
    // The sample reaches the accepting path, not only refusals.
    expect(accepted).toBeGreaterThan(100);
  });
});
