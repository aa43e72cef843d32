import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { useServiceHttp } from '@sparkflow/service-kit';
import { IngestionModule } from '../ingestion.module';

/**
 * Ingestion's whole Nest app, served over HTTP on a free loopback port as main.ts serves it
 * (`useServiceHttp`, its body limit `bodyLimit`), with the providers `overrides` names replaced (the Kafka
 * producer, a store). Answers the app, to close, and its base URL.
 */
export async function listenIngestion(
  overrides: readonly [token: unknown, value: unknown][],
  bodyLimit: string,
): Promise<{ app: INestApplication; base: string }> {
  let builder = Test.createTestingModule({ imports: [IngestionModule] });
  for (const [token, value] of overrides) builder = builder.overrideProvider(token).useValue(value);
  const module = await builder.compile();
  const app = module.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  useServiceHttp(app, bodyLimit);
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}
