import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { useServiceHttp } from '@sparkflow/service-kit';
import { AUDIT_CONFIG, type AuditConfig } from '../audit.config';

/**
 * The audit's whole Nest app with `config` in place of the one it reads from the environment, served over
 * HTTP on a free loopback port. Its consumer is not started (main.ts starts it). The module is imported only
 * here: its ConfigModule writes its defaults into the environment when it loads, so a spec reads its own
 * settings first. Its HTTP is set up as the service's bootstrap sets it up (`useServiceHttp`), so a refusal
 * is answered in the error model (a 400 naming its parameter), not as a 500. Answers the app, to close, and
 * its base URL.
 */
export async function listenAudit(config: AuditConfig): Promise<{ app: INestApplication; base: string }> {
  const { AuditModule } = await import('../audit.module');
  const module = await Test.createTestingModule({ imports: [AuditModule] })
    .overrideProvider(AUDIT_CONFIG)
    .useValue(config)
    .compile();
  const app = module.createNestApplication<NestExpressApplication>({ logger: ['error'] });
  try {
    useServiceHttp(app, '100kb');
    await app.listen(0, '127.0.0.1');
    return { app, base: await app.getUrl() };
  } catch (err) {
    await app.close();
    throw err;
  }
}
