import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { ThrottlerStorageService, getStorageToken } from '@nestjs/throttler';
import { useServiceHttp } from '@sparkflow/service-kit';
import { IngestionModule } from '../ingestion.module';

/**
 * Ingestion's whole Nest app, served over HTTP on a free loopback port as main.ts serves it
 * (`useServiceHttp`, its body limit `bodyLimit`), with the providers `overrides` names replaced (the Kafka
 * producer, a store). Answers the app, to close, and its base URL.
 *
 * The rate limit counts in this app's memory unless `overrides` names its storage: the deployed one is
 * shared through PostgreSQL by every process under the same API key, so with the local stack up, spec files
 * running side by side would spend one another's requests and answer 429 where the test expects its own
 * answer (`shared-rate-limit.integration-spec.ts` tests the shared limit).
 */
export async function listenIngestion(
  overrides: readonly [token: unknown, value: unknown][],
  bodyLimit: string,
): Promise<{ app: INestApplication; base: string }> {
  let builder = Test.createTestingModule({ imports: [IngestionModule] });
  const storage: [unknown, unknown] = [getStorageToken(), new ThrottlerStorageService()];
  const all = overrides.some(([token]) => token === storage[0]) ? overrides : [storage, ...overrides];
  for (const [token, value] of all) builder = builder.overrideProvider(token).useValue(value);
  const module = await builder.compile();
  const app = module.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  useServiceHttp(app, bodyLimit);
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}
