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
      AUDIT_API_KEYS: ['dev-audit-key'],
    });
  });

  it('stops at boot naming each bad variable and what it expects', () => {
    process.env = { AUDIT_HTTP_PORT: 'http', POSTGRES_PORT: '99999' };
    expect(() => loadAuditConfig()).toThrow(/POSTGRES_PORT: Too big[\s\S]*AUDIT_HTTP_PORT: Invalid input/);
  });

  it('accepts several comma-separated API keys, so one can be rotated without downtime', () => {
    process.env = { AUDIT_API_KEYS: 'new-audit-key-0001, old-audit-key-0002' };
    expect(loadAuditConfig().AUDIT_API_KEYS).toEqual(['new-audit-key-0001', 'old-audit-key-0002']);
  });

  it('refuses an API key shorter than 8 characters, naming the variable', () => {
    process.env = { AUDIT_API_KEYS: 'short' };
    expect(() => loadAuditConfig()).toThrow(/AUDIT_API_KEYS: one or more keys of at least 8 characters/);
  });
});
