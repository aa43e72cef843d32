import './telemetry';
import 'reflect-metadata';
import { runService } from '@sparkflow/service-kit';
import { IngestionModule } from './ingestion.module';
import { loadIngestionConfig } from './ingestion.config';

const config = loadIngestionConfig();

runService({
  name: 'ingestion',
  module: IngestionModule,
  port: config.INGESTION_HTTP_PORT,
  host: config.HTTP_HOST,
  bodyLimit: config.INGESTION_MAX_BODY,
  bodiesInFlight: config.INGESTION_BODIES_IN_FLIGHT,
  apiKeys: config.INGESTION_API_KEYS,
  headersTimeoutMs: config.INGESTION_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: config.INGESTION_REQUEST_TIMEOUT_MS,
  bodyIdleTimeoutMs: config.INGESTION_BODY_IDLE_TIMEOUT_MS,
});
