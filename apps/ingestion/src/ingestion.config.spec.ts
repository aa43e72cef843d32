import { describeServiceConfig } from '@sparkflow/testing';
import { validateIngestionConfig } from './ingestion.config';

describeServiceConfig('ingestion', validateIngestionConfig, {
  defaults: {
    KAFKA_BROKERS: '127.0.0.1:9092',
    INGESTION_HTTP_PORT: 3000,
    INGESTION_API_KEYS: ['dev-ingestion-key'],
    RANDOMUSER_URL: 'https://randomuser.me/api/',
  },
  invalid: {
    env: { INGESTION_HTTP_PORT: 'http', INGESTION_API_KEYS: 'short', RANDOMUSER_URL: 'not a url' },
    says: [/INGESTION_HTTP_PORT[\s\S]*INGESTION_API_KEYS[\s\S]*RANDOMUSER_URL/],
  },
});
