import './telemetry';
import 'reflect-metadata';
import { bootstrapService } from '@sparkflow/service-kit';
import { IngestionModule } from './ingestion.module';
import { loadIngestionConfig } from './ingestion.config';

const config = loadIngestionConfig();

void bootstrapService({
  name: 'ingestion',
  module: IngestionModule,
  port: config.INGESTION_HTTP_PORT,
  host: config.HTTP_HOST,
  bodyLimit: config.INGESTION_MAX_BODY,
  bodiesInFlight: config.INGESTION_BODIES_IN_FLIGHT,
}).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
