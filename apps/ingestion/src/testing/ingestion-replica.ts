import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { useServiceHttp } from '@sparkflow/service-kit';
import { type ScratchDatabase, integrationSettings } from '@sparkflow/testing';
import { INGESTION_CONFIG, validateIngestionConfig } from '../ingestion.config';

// Read when a spec imports this file, before any replica loads IngestionModule (see below).
const s = integrationSettings();

/**
 * One ingestion replica in this process, for integration specs: the whole IngestionModule, listening on a
 * free port of 127.0.0.1 with the service's HTTP setup, against the stack's Kafka and the scratch database `db` (as its admin role). Its
 * backfill poller is all but off, so it takes over none of the database's backfills. `env` adds to or
 * overrides those variables. The caller closes the replica.
 */
export async function ingestionReplica(
  db: Pick<ScratchDatabase, 'admin' | 'database'>,
  env: Record<string, string>,
): Promise<INestApplication> {
  const config = validateIngestionConfig({
    KAFKA_BROKERS: s.KAFKA_BROKERS,
    POSTGRES_HOST: db.admin.host,
    POSTGRES_PORT: String(db.admin.port),
    POSTGRES_USER: db.admin.username,
    POSTGRES_PASSWORD: db.admin.password,
    POSTGRES_DB: db.database,
    INGESTION_BACKFILL_POLL_MS: '600000',
    ...env,
  });
  // Imported here, not above: the module's ConfigModule writes its defaults into the environment when
  // loaded, which would hide the stack's ports from integrationSettings().
  const { IngestionModule } = await import('../ingestion.module');
  const module = await Test.createTestingModule({ imports: [IngestionModule] })
    .overrideProvider(INGESTION_CONFIG)
    .useValue(config)
    .compile();
  const app = module.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  // The service's HTTP as `runService` sets it up: its body parser, and its error model (a
  // SparkflowException answered with the status its code maps to).
  useServiceHttp(app, config.INGESTION_MAX_BODY);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
