import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AUDIT_CONFIG, type AuditConfig } from '../audit.config';

/**
 * The audit's whole Nest app with `config` in place of the one it reads from the environment, served over
 * HTTP on a free loopback port. Its consumer is not started (main.ts starts it). The module is imported only
 * here: its ConfigModule writes its defaults into the environment when it loads, so a spec reads its own
 * settings first. Answers the app, to close, and its base URL.
 */
export async function listenAudit(config: AuditConfig): Promise<{ app: INestApplication; base: string }> {
  const { AuditModule } = await import('../audit.module');
  const module = await Test.createTestingModule({ imports: [AuditModule] })
    .overrideProvider(AUDIT_CONFIG)
    .useValue(config)
    .compile();
  const app = module.createNestApplication({ logger: ['error'] });
  try {
    await app.listen(0, '127.0.0.1');
    return { app, base: await app.getUrl() };
  } catch (err) {
    await app.close();
    throw err;
  }
}
