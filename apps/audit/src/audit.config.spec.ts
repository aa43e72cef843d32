import { describeServiceConfig } from '@sparkflow/testing';
import { postgresSettings } from '@sparkflow/service-kit';
import { createAuditDataSource } from '@sparkflow/audit-store';
import { TOPICS, topicSpec } from '@sparkflow/contracts';
import { AUDIT_RETENTION_MIN_DAYS, validateAuditConfig } from './audit.config';

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
      // Today's one pool of 10.
      POSTGRES_POOL_MAX: 10,
      postgresPools: { 'sparkflow-audit': 10 },
      AUDIT_RETENTION_DAYS: 30,
      AUDIT_RETENTION_EVERY_S: 3600,
    },
    invalid: {
      env: { AUDIT_HTTP_PORT: 'http', POSTGRES_PORT: '99999', POSTGRES_POOL_MAX: '0' },
      says: [
        /POSTGRES_PORT: Too big[\s\S]*AUDIT_HTTP_PORT: Invalid input/,
        /POSTGRES_POOL_MAX: at least 1, one connection for each of the process's pools \(sparkflow-audit\)/,
      ],
    },
  },
  (loadWith) => {
    it("gives its one pool the whole of POSTGRES_POOL_MAX, and the audit store's DataSource opens it at that", () => {
      const c = loadWith({ POSTGRES_POOL_MAX: '4' });
      expect(c.postgresPools).toEqual({ 'sparkflow-audit': 4 });
      const ds = createAuditDataSource(postgresSettings(c));
      expect(ds.options).toMatchObject({ applicationName: 'sparkflow-audit', extra: { max: 4 } });
    });

    it.each(['four', '2.5', '-1', '10001'])('refuses POSTGRES_POOL_MAX=%s, naming it', (value) => {
      expect(() => loadWith({ POSTGRES_POOL_MAX: value })).toThrow(
        /audit: invalid configuration\n {2}POSTGRES_POOL_MAX: /,
      );
    });

    it('keeps a batch at least as long as users.dlq keeps a dead letter that could still be replayed into it', () => {
      expect(loadWith({}).AUDIT_RETENTION_DAYS * 86_400_000).toBeGreaterThanOrEqual(
        topicSpec(TOPICS.usersDlq).retentionMs,
      );
      expect(loadWith({ AUDIT_RETENTION_DAYS: '0' }).AUDIT_RETENTION_DAYS).toBe(0);
    });

    it('refuses fewer days than the broker may keep a users.raw record, which registers its batch', () => {
      // Its retention, and the 7 days a segment may stay open before retention can delete it.
      expect(AUDIT_RETENTION_MIN_DAYS * 86_400_000).toBeGreaterThanOrEqual(
        topicSpec(TOPICS.usersRaw).retentionMs + 7 * 86_400_000,
      );
      expect(loadWith({ AUDIT_RETENTION_DAYS: String(AUDIT_RETENTION_MIN_DAYS) }).AUDIT_RETENTION_DAYS).toBe(
        AUDIT_RETENTION_MIN_DAYS,
      );
      expect(() => loadWith({ AUDIT_RETENTION_DAYS: String(AUDIT_RETENTION_MIN_DAYS - 1) })).toThrow(
        /AUDIT_RETENTION_DAYS: 0 \(keep everything\) or at least 14 days, as long as the broker may keep a users.raw record/,
      );
    });

    it.each([
      ['AUDIT_RETENTION_DAYS', '-1'],
      ['AUDIT_RETENTION_DAYS', '7.5'],
      ['AUDIT_RETENTION_DAYS', 'month'],
      ['AUDIT_RETENTION_EVERY_S', '0'],
    ])('refuses %s=%s, naming it', (name, value) => {
      expect(() => loadWith({ [name]: value })).toThrow(
        new RegExp(`audit: invalid configuration\\n {2}${name}: `),
      );
    });

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
