import { describeServiceConfig } from '@sparkflow/testing';
import { loadEnrichmentConfig } from './enrichment.config';

describeServiceConfig('enrichment', loadEnrichmentConfig, {
  defaults: {
    KAFKA_BROKERS: '127.0.0.1:9092',
    ENRICHMENT_HTTP_PORT: 3001,
    ENRICHMENT_GROUP_ID: 'sparkflow-enrichment',
  },
  invalid: {
    env: { ENRICHMENT_HTTP_PORT: 'http', ENRICHMENT_GROUP_ID: '' },
    says: [/ENRICHMENT_HTTP_PORT[\s\S]*ENRICHMENT_GROUP_ID/],
  },
});
