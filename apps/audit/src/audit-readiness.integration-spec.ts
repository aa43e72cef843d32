import { type AddressInfo, createServer } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { integrationSettings, kafkaPrincipalPasswords } from '@sparkflow/testing';
import { validateAuditConfig } from './audit.config';
import { listenAudit } from './testing/audit-app';

// Read before the module loads: its ConfigModule writes its defaults into the environment.
const s = integrationSettings();

/**
 * The whole AuditModule over real HTTP, against the stack's PostgreSQL and either the stack's Kafka or a
 * loopback port nothing listens on. Its consumer is not started here (the service's bootstrap starts it),
 * so `consumer` is down throughout; what is checked is that readiness asks Kafka itself, since kafkajs
 * rides out a lost broker connection inside a running consumer without the consumer's health knowing.
 */
describe("the audit's readiness", () => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function audit(brokers: string): Promise<string> {
    const config = validateAuditConfig({
      KAFKA_BROKERS: brokers,
      KAFKA_PASSWORD: kafkaPrincipalPasswords()['KAFKA_AUDIT_PASSWORD'],
      POSTGRES_HOST: s.POSTGRES_HOST,
      POSTGRES_PORT: String(s.POSTGRES_PORT),
      POSTGRES_USER: s.POSTGRES_USER,
      POSTGRES_PASSWORD: s.POSTGRES_PASSWORD,
      POSTGRES_DB: s.POSTGRES_DB,
    });
    const { app, base } = await listenAudit(config);
    apps.push(app);
    return base;
  }

  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    return port;
  }

  it('answers 503 naming kafka, soon, while the broker cannot be reached', async () => {
    const broker = `127.0.0.1:${await closedPort()}`;
    const base = await audit(broker);
    const started = Date.now();
    const res = await fetch(`${base}/health/ready`);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: Record<string, { message?: string }>; details: object };
    expect(body.error['kafka']?.message).toContain(`Kafka at ${broker}:`);
    expect(body.error['kafka']?.message).toContain('ECONNREFUSED');
    expect(body.details).toMatchObject({ postgres: { status: 'up' } });
    expect(elapsed).toBeLessThan(10_000);
  });

  it("reports kafka up against the stack's broker", async () => {
    const base = await audit(s.KAFKA_BROKERS);
    const res = await fetch(`${base}/health/ready`);
    expect(await res.json()).toMatchObject({
      details: { kafka: { status: 'up' }, postgres: { status: 'up' } },
      error: { consumer: { status: 'down', message: 'not started' } },
    });
  });
});
