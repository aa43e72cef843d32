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
      ENRICHMENT_EVENT_TIME_MAX_SKEW_MS: 60_000,
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
    it('reads the event-time skew in whole milliseconds, from one second to one day, and names a bad one', () => {
      expect(loadWith({ ENRICHMENT_EVENT_TIME_MAX_SKEW_MS: '5000' }).ENRICHMENT_EVENT_TIME_MAX_SKEW_MS).toBe(
        5000,
      );
      for (const bad of ['minute', '500', '1.5', '86400001'])
        expect(() => loadWith({ ENRICHMENT_EVENT_TIME_MAX_SKEW_MS: bad })).toThrow(
          /ENRICHMENT_EVENT_TIME_MAX_SKEW_MS/,
        );
      expect(() => loadWith({ ENRICHMENT_EVENT_TIME_MAX_SKEW_MS: '500' })).toThrow(/at least 1000 ms/);
    });

    it('names a bad Kafka login setting', () => {
      expect(() => loadWith({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_PASSWORD: '' })).toThrow(
        /KAFKA_SASL_MECHANISM[\s\S]*KAFKA_PASSWORD/,
      );
    });
  },
);
