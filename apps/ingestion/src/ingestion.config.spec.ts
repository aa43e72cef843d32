import { loadIngestionConfig } from './ingestion.config';

describe('ingestion configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('defaults to the local stack', () => {
    process.env = {};
    expect(loadIngestionConfig()).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:9092',
      INGESTION_HTTP_PORT: 3000,
      INGESTION_API_KEYS: ['dev-ingestion-key'],
      RANDOMUSER_URL: 'https://randomuser.me/api/',
    });
  });

  it('stops at boot naming each bad variable and what it expects', () => {
    process.env = { INGESTION_HTTP_PORT: 'http', INGESTION_API_KEYS: 'short', RANDOMUSER_URL: 'not a url' };
    expect(() => loadIngestionConfig()).toThrow(/INGESTION_HTTP_PORT[\s\S]*INGESTION_API_KEYS[\s\S]*RANDOMUSER_URL/);
  });
});
