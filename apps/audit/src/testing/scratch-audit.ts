import type { INestApplication } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AUDIT_MIGRATIONS, AuditEventsRepository, createAuditDataSource } from '@sparkflow/audit-store';
import { integrationSettings, scratchPostgresDatabase, type ScratchDatabase } from '@sparkflow/testing';
import { validateAuditConfig } from '../audit.config';
import { listenAudit } from './audit-app';

/**
 * The audit's whole module over real HTTP (`listenAudit`) on a PostgreSQL database of its own, every audit
 * migration applied, and the stack's Kafka. Its consumer is not started: `repo` writes the audit rows as the
 * consumer writes them, and where a group stands on a topic is set through the broker. `open` in a
 * `beforeAll`, `close` in the `afterAll`.
 */
export class ScratchAudit {
  private db?: ScratchDatabase;
  private ds?: DataSource;
  private rows?: AuditEventsRepository;
  private readonly apps: INestApplication[] = [];

  constructor(
    private readonly name: string,
    private readonly settings: ReturnType<typeof integrationSettings>,
  ) {}

  get repo(): AuditEventsRepository {
    if (!this.rows) throw new Error(`scratch audit ${this.name} is not open`);
    return this.rows;
  }

  async open(): Promise<void> {
    this.db = await scratchPostgresDatabase(this.name, AUDIT_MIGRATIONS);
    this.ds = await createAuditDataSource({ ...this.db.admin, database: this.db.database }).initialize();
    this.rows = new AuditEventsRepository(this.ds);
  }

  async close(): Promise<void> {
    for (const app of this.apps.splice(0)) await app.close();
    await this.ds?.destroy();
    await this.db?.drop();
  }

  /** The audit in-process as `kafkaUser` with group `groupId`; its base URL. */
  async listen(kafkaUser: { user: string; password: string }, groupId: string): Promise<string> {
    const db = this.db;
    if (!db) throw new Error(`scratch audit ${this.name} is not open`);
    const config = validateAuditConfig({
      KAFKA_BROKERS: this.settings.KAFKA_BROKERS,
      KAFKA_USERNAME: kafkaUser.user,
      KAFKA_PASSWORD: kafkaUser.password,
      AUDIT_GROUP_ID: groupId,
      POSTGRES_HOST: db.admin.host,
      POSTGRES_PORT: String(db.admin.port),
      POSTGRES_USER: db.admin.username,
      POSTGRES_PASSWORD: db.admin.password,
      POSTGRES_DB: db.database,
    });
    const { app, base } = await listenAudit(config);
    this.apps.push(app);
    return base;
  }
}
