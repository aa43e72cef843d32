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
    env: {
      INGESTION_HTTP_PORT: 'http',
      INGESTION_API_KEYS: 'short',
      RANDOMUSER_URL: 'randomuser.me/api',
      INGESTION_MAX_BODY: '0kb',
      INGESTION_BODIES_IN_FLIGHT: '20MB',
      KAFKA_BROKERS: 'kafka',
    },
    says: [
      /INGESTION_HTTP_PORT[\s\S]*INGESTION_API_KEYS[\s\S]*RANDOMUSER_URL: an http:\/\/ or https:\/\/ URL/,
      /INGESTION_MAX_BODY: a size above 0/,
      /INGESTION_BODIES_IN_FLIGHT: a size above 0 such as 20mb \(kb or mb, lower case\)/,
      /KAFKA_BROKERS: "kafka" is not host:port/,
    ],
  },
});
