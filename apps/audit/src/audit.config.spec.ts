import { describeServiceConfig } from '@sparkflow/testing';
import { validateAuditConfig } from './audit.config';

describeServiceConfig(
  'audit',
  validateAuditConfig,
  {
    defaults: {
      KAFKA_BROKERS: '127.0.0.1:9092',
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: 5432,
      POSTGRES_DB: 'sparkflow',
      AUDIT_HTTP_PORT: 3003,
      AUDIT_API_KEYS: ['dev-audit-key'],
    },
    invalid: {
      env: { AUDIT_HTTP_PORT: 'http', POSTGRES_PORT: '99999' },
      says: [/POSTGRES_PORT: Too big[\s\S]*AUDIT_HTTP_PORT: Invalid input/],
    },
  },
  (loadWith) => {
    it('accepts several comma-separated API keys, so one can be rotated without downtime', () => {
      expect(loadWith({ AUDIT_API_KEYS: 'new-audit-key-0001, old-audit-key-0002' }).AUDIT_API_KEYS).toEqual([
        'new-audit-key-0001',
        'old-audit-key-0002',
      ]);
    });

    it('refuses an API key shorter than 8 characters, naming the variable', () => {
      expect(() => loadWith({ AUDIT_API_KEYS: 'short' })).toThrow(
        /AUDIT_API_KEYS: one or more comma-separated keys of at least 8 characters/,
      );
    });
  },
);
