import './telemetry';
import 'reflect-metadata';
import { runConsumerService } from '@sparkflow/service-kit';
import { EnrichmentModule } from './enrichment.module';
import { ENRICHMENT_CONFIG, type EnrichmentConfig } from './enrichment.config';

runConsumerService<EnrichmentConfig>({
  name: 'enrichment',
  module: EnrichmentModule,
  config: ENRICHMENT_CONFIG,
  settings: (c) => ({ port: c.ENRICHMENT_HTTP_PORT, host: c.HTTP_HOST }),
  consumer: (c) => ({ groupId: c.ENRICHMENT_GROUP_ID, stage: 'enrichment' }),
});
