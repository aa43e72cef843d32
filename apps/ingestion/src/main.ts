import './telemetry';
import 'reflect-metadata';
import { runService } from '@sparkflow/service-kit';
import { IngestionModule } from './ingestion.module';
import { INGESTION_CONFIG, type IngestionConfig } from './ingestion.config';

runService<IngestionConfig>({
  name: 'ingestion',
  module: IngestionModule,
  config: INGESTION_CONFIG,
  settings: (c) => ({
    port: c.INGESTION_HTTP_PORT,
    host: c.HTTP_HOST,
    bodyLimit: c.INGESTION_MAX_BODY,
    bodiesInFlight: c.INGESTION_BODIES_IN_FLIGHT,
    apiKeys: c.INGESTION_API_KEYS,
    headersTimeoutMs: c.INGESTION_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: c.INGESTION_REQUEST_TIMEOUT_MS,
    bodyIdleTimeoutMs: c.INGESTION_BODY_IDLE_TIMEOUT_MS,
  }),
});
