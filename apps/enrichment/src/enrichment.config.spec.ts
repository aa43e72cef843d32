import { describeServiceConfig } from '@sparkflow/testing';
import { validateEnrichmentConfig } from './enrichment.config';

describeServiceConfig(
  'enrichment',
  validateEnrichmentConfig,
  {
    defaults: {
      KAFKA_BROKERS: '127.0.0.1:9092',
      ENRICHMENT_HTTP_PORT: 3001,
      ENRICHMENT_GROUP_ID: 'sparkflow-enrichment',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_USERNAME: 'sparkflow-enrichment',
      KAFKA_PASSWORD: 'sparkflow-enrichment-dev',
    },
    invalid: {
      env: { ENRICHMENT_HTTP_PORT: 'http', ENRICHMENT_GROUP_ID: '' },
      says: [/ENRICHMENT_HTTP_PORT[\s\S]*ENRICHMENT_GROUP_ID/],
    },
  },
  (loadWith) => {
    it('names a bad Kafka login setting', () => {
      expect(() => loadWith({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_PASSWORD: '' })).toThrow(
        /KAFKA_SASL_MECHANISM[\s\S]*KAFKA_PASSWORD/,
      );
    });
  },
);
