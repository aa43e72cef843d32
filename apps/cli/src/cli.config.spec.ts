import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCliConfig, recordedStackTopology, stackHome } from './cli.config';

describe('loadCliConfig', () => {
  it('defaults to the native stack on this machine', () => {
    const cfg = loadCliConfig({});
    expect(cfg).toMatchObject({
      kafkaBrokers: ['127.0.0.1:9092'],
      ingestionUrl: 'http://127.0.0.1:3000',
      auditUrl: 'http://127.0.0.1:3003',
      apiKey: 'dev-ingestion-key',
      auditKey: 'dev-audit-key',
      color: 'auto',
    });
    expect(cfg.kafkaLogin).toEqual({
      mechanism: 'scram-sha-512',
      username: 'sparkflow-cli',
      password: 'sparkflow-cli-dev',
    });
    expect(cfg.cassandra).toEqual({
      contactPoints: ['127.0.0.1:9042'],
      localDataCenter: 'datacenter1',
      keyspace: 'sparkflow',
      username: 'sparkflow_app',
      password: 'sparkflow-app-dev',
    });
  });

  it('follows the ports a stack on other ports was started with', () => {
    const cfg = loadCliConfig({
      KAFKA_PORT: '39092',
      CASSANDRA_PORT: '39042',
      INGESTION_HTTP_PORT: '33000',
      AUDIT_HTTP_PORT: '33003',
    });
    expect(cfg.kafkaBrokers).toEqual(['127.0.0.1:39092']);
    expect(cfg.cassandra.contactPoints).toEqual(['127.0.0.1:39042']);
    expect(cfg.ingestionUrl).toBe('http://127.0.0.1:33000');
    expect(cfg.auditUrl).toBe('http://127.0.0.1:33003');
  });

  it('lists every broker and Cassandra node of a cluster stack, so one node down does not stop a command', () => {
    const every = (port: number) => [1, 2, 3].map((n) => `127.0.0.${n}:${port}`);
    const named = loadCliConfig({
      SPARKFLOW_TOPOLOGY: 'cluster',
      KAFKA_PORT: '31092',
      CASSANDRA_PORT: '31042',
    });
    expect(named.kafkaBrokers).toEqual(every(31092));
    expect(named.cassandra.contactPoints).toEqual(every(31042));
    // Without the variable, the topology the stack's home records; the usual ports by default.
    const homes: string[] = [];
    const recorded = loadCliConfig({ SPARKFLOW_HOME: '/srv/sf' }, {}, (raw) => {
      homes.push(raw['SPARKFLOW_HOME']!);
      return 'cluster';
    });
    expect(homes).toEqual(['/srv/sf']);
    expect(recorded.kafkaBrokers).toEqual(every(9092));
    expect(recorded.cassandra.contactPoints).toEqual(every(9042));
    // The record wins over the variable, as in `npm run stack`, and explicit lists over both.
    expect(loadCliConfig({ SPARKFLOW_TOPOLOGY: 'cluster' }, {}, () => 'single').kafkaBrokers).toEqual([
      '127.0.0.1:9092',
    ]);
    expect(loadCliConfig({ SPARKFLOW_TOPOLOGY: 'single' }, {}, () => 'cluster').kafkaBrokers).toEqual(
      every(9092),
    );
    expect(
      loadCliConfig({ SPARKFLOW_TOPOLOGY: 'cluster', KAFKA_BROKERS: 'kafka-0:9092' }).kafkaBrokers,
    ).toEqual(['kafka-0:9092']);
  });

  it('has top probe each service at its one port on a single stack, and every replica of a cluster stack', () => {
    const urls = (cfg: ReturnType<typeof loadCliConfig>) =>
      Object.fromEntries(
        Object.entries(cfg.serviceReplicas).map(([s, rs]) => [s, rs.map((r) => `${r.name} ${r.url}`)]),
      );
    expect(urls(loadCliConfig({}))).toEqual({
      ingestion: ['ingestion http://127.0.0.1:3000'],
      enrichment: ['enrichment http://127.0.0.1:3001'],
      persistence: ['persistence http://127.0.0.1:3002'],
      audit: ['audit http://127.0.0.1:3003'],
    });
    // Each replica directly, 100 per replica above the service's port; not HAProxy on the port itself.
    expect(urls(loadCliConfig({ ENRICHMENT_HTTP_PORT: '33001' }, {}, () => 'cluster'))).toEqual({
      ingestion: ['ingestion-1 http://127.0.0.1:3100', 'ingestion-2 http://127.0.0.1:3200'],
      enrichment: ['enrichment-1 http://127.0.0.1:33101', 'enrichment-2 http://127.0.0.1:33201'],
      persistence: ['persistence-1 http://127.0.0.1:3102', 'persistence-2 http://127.0.0.1:3202'],
      audit: ['audit-1 http://127.0.0.1:3103', 'audit-2 http://127.0.0.1:3203'],
    });
    expect(urls(loadCliConfig({ SPARKFLOW_TOPOLOGY: 'cluster' })).persistence).toEqual([
      'persistence-1 http://127.0.0.1:3102',
      'persistence-2 http://127.0.0.1:3202',
    ]);
    // An explicit URL is one address, whatever the topology.
    const explicit = loadCliConfig({
      SPARKFLOW_TOPOLOGY: 'cluster',
      AUDIT_URL: 'http://audit.sparkflow.svc:3003/',
    });
    expect(urls(explicit).audit).toEqual(['audit http://audit.sparkflow.svc:3003']);
    expect(urls(explicit).enrichment).toHaveLength(2);
  });

  it('refuses a topology that is neither single nor cluster, naming the variable', () => {
    expect(() => loadCliConfig({ SPARKFLOW_TOPOLOGY: 'clutser' })).toThrow(/SPARKFLOW_TOPOLOGY/);
  });

  it('prefers explicit address lists and URLs over ports', () => {
    const cfg = loadCliConfig({
      KAFKA_BROKERS: 'kafka-0:9092, kafka-1:9092',
      KAFKA_PORT: '39092',
      AUDIT_URL: 'http://audit.sparkflow.svc:3003/',
    });
    expect(cfg.kafkaBrokers).toEqual(['kafka-0:9092', 'kafka-1:9092']);
    expect(cfg.auditUrl).toBe('http://audit.sparkflow.svc:3003');
  });

  it('sends the first of several API keys', () => {
    expect(loadCliConfig({ INGESTION_API_KEYS: 'first-key-1234,second-key-5678' }).apiKey).toBe(
      'first-key-1234',
    );
  });

  it('names a refused port by its own variable, not by the address list it would have made', () => {
    for (const [name, value, derived] of [
      ['KAFKA_PORT', 'abc', 'KAFKA_BROKERS'],
      ['KAFKA_PORT', '70000', 'KAFKA_BROKERS'],
      ['CASSANDRA_PORT', '0', 'CASSANDRA_CONTACT_POINTS'],
    ]) {
      let message = '';
      try {
        loadCliConfig({ [name]: value });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(new RegExp(`^ {2}${name}: a port number from 1 to 65535$`, 'm'));
      expect(message).not.toContain(derived);
    }
  });

  it('says a short --audit-key is one key, not a list', () => {
    expect(() => loadCliConfig({}, { auditKey: 'short' })).toThrow(
      /^ {2}--audit-key: a key of at least 8 characters$/m,
    );
  });

  it('sends the first of AUDIT_API_KEYS to the audit, unless --audit-key names another', () => {
    expect(loadCliConfig({ AUDIT_API_KEYS: 'audit-key-0001,audit-key-0002' }).auditKey).toBe(
      'audit-key-0001',
    );
    expect(loadCliConfig({ AUDIT_API_KEYS: 'audit-key-0001' }, { auditKey: 'flag-key-0003' }).auditKey).toBe(
      'flag-key-0003',
    );
  });

  it('refuses a key the x-api-key header cannot carry, naming the flag or the variable', () => {
    expect(() => loadCliConfig({}, { auditKey: 'ключ-ключ-ключ' })).toThrow(
      /^ {2}--audit-key: .*visible ASCII/m,
    );
    expect(() => loadCliConfig({}, { auditKey: 'audit\u0000key-0001' })).toThrow(/--audit-key/);
    expect(() => loadCliConfig({ INGESTION_API_KEYS: 'ingestion-key-é' })).toThrow(
      /^ {2}INGESTION_API_KEYS: /m,
    );
    expect(loadCliConfig({}, { auditKey: 'a key with spaces' }).auditKey).toBe('a key with spaces');
  });

  it('refuses a short --audit-key as it refuses a short AUDIT_API_KEYS', () => {
    expect(() => loadCliConfig({}, { auditKey: 'short' })).toThrow(/^ {2}--audit-key: /m);
    expect(() => loadCliConfig({ AUDIT_API_KEYS: 'short' })).toThrow(/^ {2}AUDIT_API_KEYS: /m);
  });

  it('refuses a broker that is not host:port, naming the variable and the entry', () => {
    expect(() => loadCliConfig({ KAFKA_BROKERS: 'nonsense' })).toThrow(
      /KAFKA_BROKERS: "nonsense" is not host:port/,
    );
    expect(() => loadCliConfig({ KAFKA_BROKERS: 'kafka-0:9092,localhost:99999' })).toThrow(
      /KAFKA_BROKERS: "localhost:99999" is not host:port \(a name or an IPv4 address, and a port from 1 to 65535\)/,
    );
    expect(() => loadCliConfig({ KAFKA_BROKERS: 'localhost:0' })).toThrow(/KAFKA_BROKERS/);
    expect(() => loadCliConfig({ KAFKA_BROKERS: ' , ' })).toThrow(/KAFKA_BROKERS/);
    expect(loadCliConfig({ KAFKA_BROKERS: 'kafka-0.svc:9092, 10.0.0.7:19092' }).kafkaBrokers).toEqual([
      'kafka-0.svc:9092',
      '10.0.0.7:19092',
    ]);
    // kafkajs cuts a broker at its first ':', so it cannot reach an IPv6 address: refused by name.
    expect(() => loadCliConfig({ KAFKA_BROKERS: '[::1]:9092' })).toThrow(/KAFKA_BROKERS: "\[::1\]:9092"/);
  });

  it('refuses a service URL without http:// or https://, naming the variable', () => {
    expect(() => loadCliConfig({ AUDIT_URL: 'localhost:3003' })).toThrow(
      /^ {2}AUDIT_URL: an http:\/\/ or https:\/\/ URL$/m,
    );
    expect(() => loadCliConfig({ INGESTION_URL: 'ftp://ingestion' })).toThrow(/INGESTION_URL/);
    expect(loadCliConfig({ AUDIT_URL: 'https://audit.example:8443/' }).auditUrl).toBe(
      'https://audit.example:8443',
    );
  });

  it('refuses a service URL holding a user or password, naming the variable and never the password', () => {
    for (const url of [
      'http://user:s3cret-pw@127.0.0.1:3003',
      'https://user@audit.example',
      'http://:s3cret-pw@a:1',
    ]) {
      let message = '';
      try {
        loadCliConfig({ AUDIT_URL: url });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^ {2}AUDIT_URL: a URL without a user or password/m);
      expect(message).not.toContain('s3cret-pw');
    }
  });

  it("takes the stall time and the producer of dlq replay from the services' Kafka settings", () => {
    expect(loadCliConfig({})).toMatchObject({
      stallAfterSeconds: 60,
      producer: { client: 'kafkajs', compression: 'none' },
    });
    expect(
      loadCliConfig({
        KAFKA_STALL_AFTER_S: '30',
        KAFKA_PRODUCER_CLIENT: 'platformatic',
        KAFKA_COMPRESSION: 'gzip',
      }),
    ).toMatchObject({ stallAfterSeconds: 30, producer: { client: 'platformatic', compression: 'gzip' } });
  });

  it('takes Cassandra contact points with or without a port, and refuses a bad port', () => {
    expect(
      loadCliConfig({ CASSANDRA_CONTACT_POINTS: 'cassandra-0, cassandra-1:9043' }).cassandra.contactPoints,
    ).toEqual(['cassandra-0', 'cassandra-1:9043']);
    expect(() => loadCliConfig({ CASSANDRA_CONTACT_POINTS: 'cassandra-0:99999' })).toThrow(
      /CASSANDRA_CONTACT_POINTS: "cassandra-0:99999"/,
    );
    expect(() => loadCliConfig({ CASSANDRA_CONTACT_POINTS: 'cassandra-0:nine' })).toThrow(
      /CASSANDRA_CONTACT_POINTS/,
    );
    // cassandra-driver takes an IPv6 address bare or as [address]:port, not bracketed without a port.
    expect(
      loadCliConfig({ CASSANDRA_CONTACT_POINTS: '::1, fe80::1, [::1]:9043' }).cassandra.contactPoints,
    ).toEqual(['::1', 'fe80::1', '[::1]:9043']);
    expect(() => loadCliConfig({ CASSANDRA_CONTACT_POINTS: '[::1]' })).toThrow(
      /CASSANDRA_CONTACT_POINTS: "\[::1\]"/,
    );
    expect(() => loadCliConfig({ CASSANDRA_CONTACT_POINTS: '[not-v6]:9042' })).toThrow(
      /CASSANDRA_CONTACT_POINTS/,
    );
  });

  it('names every bad variable', () => {
    expect(() => loadCliConfig({ AUDIT_HTTP_PORT: 'http', INGESTION_API_KEYS: 'short' })).toThrow(
      /AUDIT_HTTP_PORT[\s\S]*INGESTION_API_KEYS/,
    );
  });

  it('turns colour off for NO_COLOR and FORCE_COLOR=0, and on for any other FORCE_COLOR', () => {
    expect(loadCliConfig({ NO_COLOR: '1' }).color).toBe('never');
    expect(loadCliConfig({ FORCE_COLOR: '1' }).color).toBe('always');
    expect(loadCliConfig({ FORCE_COLOR: '0' }).color).toBe('never');
  });

  it("reads the topology a stack's home records, and nothing from a home that holds none", () => {
    const home = mkdtempSync(join(tmpdir(), 'sparkflow-home-'));
    try {
      expect(recordedStackTopology({ SPARKFLOW_HOME: home })).toBeNull();
      writeFileSync(join(home, 'topology'), 'cluster\n');
      expect(recordedStackTopology({ SPARKFLOW_HOME: home })).toBe('cluster');
      writeFileSync(join(home, 'topology'), 'single\n');
      expect(recordedStackTopology({ SPARKFLOW_HOME: home })).toBe('single');
      writeFileSync(join(home, 'topology'), 'three racks\n');
      expect(recordedStackTopology({ SPARKFLOW_HOME: home })).toBeNull();
      // A home older than the record is told by its data folders.
      rmSync(join(home, 'topology'));
      mkdirSync(join(home, 'kafka-1'));
      expect(recordedStackTopology({ SPARKFLOW_HOME: home })).toBe('cluster');
      // A home that cannot be read tells nothing.
      mkdirSync(join(home, 'topology'));
      expect(recordedStackTopology({ SPARKFLOW_HOME: home })).toBeNull();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('resolves a relative SPARKFLOW_HOME from the working directory, as the stack does', () => {
    const repoHome = join(__dirname, '..', '..', '..', '.sparkflow');
    expect(stackHome({}, '/elsewhere')).toBe(repoHome);
    expect(stackHome({ SPARKFLOW_HOME: 'homes/a' }, '/work/x')).toBe('/work/x/homes/a');
    expect(stackHome({ SPARKFLOW_HOME: '../a' }, '/work/x')).toBe('/work/a');
    expect(stackHome({ SPARKFLOW_HOME: '/srv/sf' }, '/work/x')).toBe('/srv/sf');
    // An empty one is the working directory for the stack (Node's resolve of ""), so for the CLI too.
    expect(stackHome({ SPARKFLOW_HOME: '' }, '/work/x')).toBe('/work/x');

    const cwd = mkdtempSync(join(tmpdir(), 'sparkflow-cwd-'));
    try {
      mkdirSync(join(cwd, 'home'));
      writeFileSync(join(cwd, 'home', 'topology'), 'cluster\n');
      expect(recordedStackTopology({ SPARKFLOW_HOME: 'home' }, cwd)).toBe('cluster');
      expect(recordedStackTopology({ SPARKFLOW_HOME: './home' }, cwd)).toBe('cluster');
      // The same relative path from another directory names another home.
      expect(recordedStackTopology({ SPARKFLOW_HOME: 'home' }, tmpdir())).toBeNull();
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
