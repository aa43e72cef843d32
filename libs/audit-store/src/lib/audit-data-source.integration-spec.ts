import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { integrationSettings, postgresConnection, uniqueName } from '@sparkflow/testing';
import { createAuditDataSource, migrateAuditStore, AUDIT_MIGRATIONS } from './audit-data-source';
import { AuditEventEntity } from './entities/audit-event.entity';
import { BatchEntity } from './entities/batch.entity';

const s = integrationSettings();
const conn = postgresConnection(s);
/** Migrations run as the database's owner; the services' role cannot change the schema. */
const owner = postgresConnection(s, 'owner');

describe('audit store on the local PostgreSQL', () => {
  let ds: DataSource;
  beforeAll(async () => {
    await migrateAuditStore(owner);
    ds = await createAuditDataSource(conn).initialize();
  });
  afterAll(() => ds.destroy());

  it('has applied every migration of the audit store, in order, recorded in typeorm_migrations', async () => {
    const rows: { name: string }[] = await ds.query('SELECT name FROM typeorm_migrations ORDER BY id');
    const audit = new Set(AUDIT_MIGRATIONS.map((m) => m.name));
    // The history is shared with the analytics schema's migrations, which provisioning runs too.
    expect(rows.map((r) => r.name).filter((name) => audit.has(name))).toEqual(
      AUDIT_MIGRATIONS.map((m) => m.name),
    );
    expect(await migrateAuditStore(owner)).toEqual([]);
  });

  it('round-trips an audit event and a batch through the entities', async () => {
    const batchId = uniqueName('batch');
    const eventId = randomUUID();
    await ds.getRepository(BatchEntity).insert({ batchId, source: 'synthetic', expectedCount: 3 });
    await ds.getRepository(AuditEventEntity).insert({
      eventId,
      topic: 'users.dlq',
      outcome: 'dead-lettered',
      userId: null,
      batchId,
      source: 'synthetic',
      partition: 2,
      offset: '9007199254740993',
      producedAt: new Date('2026-11-26T04:00:00.000Z'),
      appendedAt: new Date('2026-11-26T04:00:00.007Z'),
      reasons: [
        {
          code: SparkflowErrorCode.SchemaInvalid,
          message: "name.first: O'Brien; DROP TABLE users",
          path: 'name.first',
        },
      ],
    });

    const event = await ds.getRepository(AuditEventEntity).findOneByOrFail({ eventId, topic: 'users.dlq' });
    expect(event).toMatchObject({
      outcome: 'dead-lettered',
      batchId,
      partition: 2,
      offset: '9007199254740993',
      reasons: [
        { code: 'SCHEMA_INVALID', message: "name.first: O'Brien; DROP TABLE users", path: 'name.first' },
      ],
    });
    expect(event.producedAt?.toISOString()).toBe('2026-11-26T04:00:00.000Z');
    expect(event.appendedAt?.toISOString()).toBe('2026-11-26T04:00:00.007Z');
    expect((await ds.getRepository(BatchEntity).findOneByOrFail({ batchId })).expectedCount).toBe(3);
  });

  it('rejects an outcome the schema does not know', async () => {
    await expect(
      ds.query(
        `INSERT INTO audit_events (event_id, topic, outcome, partition, "offset") VALUES ($1, 'users.raw', 'lost', 0, 0)`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/check constraint/);
  });
});
