import './telemetry';
import 'reflect-metadata';
import { KAFKA, runConsumerService } from '@sparkflow/service-kit';
import { EnrichmentModule } from './enrichment.module';
import { loadEnrichmentConfig } from './enrichment.config';

const config = loadEnrichmentConfig();

runConsumerService({
  name: 'enrichment',
  module: EnrichmentModule,
  port: config.ENRICHMENT_HTTP_PORT,
  host: config.HTTP_HOST,
  kafka: KAFKA,
  stallAfterS: config.KAFKA_STALL_AFTER_S,
  consumer: { groupId: config.ENRICHMENT_GROUP_ID, stage: 'enrichment' },
});
