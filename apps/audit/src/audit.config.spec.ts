import { loadAuditConfig } from './audit.config';

describe('audit configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('defaults to the local stack', () => {
    process.env = {};
    expect(loadAuditConfig()).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:9092',
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: 5432,
      POSTGRES_DB: 'sparkflow',
      AUDIT_HTTP_PORT: 3003,
    });
  });

  it('stops at boot naming each bad variable and what it expects', () => {
    process.env = { AUDIT_HTTP_PORT: 'http', POSTGRES_PORT: '99999' };
    expect(() => loadAuditConfig()).toThrow(/POSTGRES_PORT: Too big[\s\S]*AUDIT_HTTP_PORT: Invalid input/);
  });
});
