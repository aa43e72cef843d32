import { loadEnrichmentConfig } from './enrichment.config';

describe('enrichment configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('defaults to the local stack', () => {
    process.env = {};
    expect(loadEnrichmentConfig()).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:9092',
      ENRICHMENT_HTTP_PORT: 3001,
      ENRICHMENT_GROUP_ID: 'sparkflow-enrichment',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_USERNAME: 'sparkflow-enrichment',
      KAFKA_PASSWORD: 'sparkflow-enrichment-dev',
    });
  });

  it('names a bad Kafka login setting', () => {
    process.env = { KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_PASSWORD: '' };
    expect(() => loadEnrichmentConfig()).toThrow(/KAFKA_SASL_MECHANISM[\s\S]*KAFKA_PASSWORD/);
  });

  it('stops at boot naming each bad variable and what it expects', () => {
    process.env = { ENRICHMENT_HTTP_PORT: 'http', ENRICHMENT_GROUP_ID: '' };
    expect(() => loadEnrichmentConfig()).toThrow(/ENRICHMENT_HTTP_PORT[\s\S]*ENRICHMENT_GROUP_ID/);
  });
});
