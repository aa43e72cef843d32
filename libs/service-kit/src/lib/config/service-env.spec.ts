import fc from 'fast-check';
import {
  CassandraEnv,
  KafkaEnv,
  parseEnv,
  PostgresEnv,
  postgresPoolEnv,
  postgresPoolSplit,
  postgresSettings,
} from './service-env';

/** What a client needs of an address, read by the platform's URL parser: a host, and a port in range. */
function hostAndPort(entry: string): { host: string; port: number | null } | null {
  try {
    const url = new URL(`tcp://${entry}`);
    if (!url.hostname || url.pathname || url.search || url.hash || url.username) return null;
    return { host: url.hostname, port: url.port === '' ? null : Number(url.port) };
  } catch {
    return null;
  }
}

const entries = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Address lists of the kind a hand-edited env file holds: names, IPs, ports, stray colons and brackets. */
const addressLists = fc
  .array(
    fc
      .oneof(
        fc.constantFrom('kafka-0', '127.0.0.1', 'localhost', '::1', '[::1]', 'my_host.svc', 'host name', ''),
        fc.stringMatching(/^[a-z0-9.:[\] -]{0,12}$/),
      )
      .chain((host) =>
        fc
          .oneof(
            fc.constant(''),
            fc.integer({ min: -1, max: 70000 }).map(String),
            fc.constantFrom('x', '09092', ''),
          )
          .map((port) => (port === '' ? host : `${host}:${port}`)),
      ),
    { minLength: 1, maxLength: 3 },
  )
  .map((list) => list.join(','));

const load =
  <T>(schema: { safeParse: (v: unknown) => unknown }, env: Record<string, string>) =>
  () =>
    parseEnv('svc', schema as never, env) as T;

describe('KAFKA_BROKERS and CASSANDRA_CONTACT_POINTS', () => {
  it('take only lists a client can connect to, and name the entry they refuse (seeded property)', () => {
    fc.assert(
      fc.property(addressLists, (value) => {
        let kafka: { KAFKA_BROKERS: string } | null = null;
        try {
          kafka = load<{ KAFKA_BROKERS: string }>(KafkaEnv, { KAFKA_BROKERS: value })();
        } catch (err) {
          expect((err as Error).message).toMatch(
            /KAFKA_BROKERS: (expected at least one address|"[^"]*" is not host:port)/,
          );
        }
        // kafkajs splits at the first colon: a broker it takes is a host and a port 1–65535, nothing more.
        if (kafka)
          for (const entry of entries(kafka.KAFKA_BROKERS)) {
            const parsed = hostAndPort(entry);
            expect(parsed?.port).toBeGreaterThanOrEqual(1);
            expect(parsed?.port).toBeLessThanOrEqual(65535);
            expect(entry.split(':')).toHaveLength(2);
          }

        let cassandra: { CASSANDRA_CONTACT_POINTS: string } | null = null;
        try {
          cassandra = load<{ CASSANDRA_CONTACT_POINTS: string }>(CassandraEnv, {
            CASSANDRA_CONTACT_POINTS: value,
          })();
        } catch (err) {
          expect((err as Error).message).toMatch(
            /CASSANDRA_CONTACT_POINTS: (expected at least one address|"[^"]*" is not host)/,
          );
        }
        // The driver's port (9042) when left out; a bare IPv6 address is one host.
        if (cassandra)
          for (const entry of entries(cassandra.CASSANDRA_CONTACT_POINTS)) {
            const parsed = hostAndPort(entry.includes('::') && !entry.startsWith('[') ? `[${entry}]` : entry);
            expect(parsed).not.toBeNull();
            if (parsed?.port !== null) expect(parsed?.port).toBeGreaterThanOrEqual(1);
          }
      }),
      { seed: 20261203, numRuns: 500 },
    );
  });

  it('refuse a broker without a port, a port out of range and a contact point whose port is no number, naming the entry', () => {
    expect(load(KafkaEnv, { KAFKA_BROKERS: 'kafka' })).toThrow(/KAFKA_BROKERS: "kafka" is not host:port/);
    expect(load(KafkaEnv, { KAFKA_BROKERS: 'kafka:9092,kafka-1:90920' })).toThrow(/"kafka-1:90920"/);
    expect(load(CassandraEnv, { CASSANDRA_CONTACT_POINTS: 'cassandra:notaport' })).toThrow(
      /CASSANDRA_CONTACT_POINTS: "cassandra:notaport" is not host, host:port or \[IPv6\]:port/,
    );
    expect(
      load<{ KAFKA_BROKERS: string }>(KafkaEnv, { KAFKA_BROKERS: 'kafka-0:9092, 10.0.0.7:19092' })()
        .KAFKA_BROKERS,
    ).toBe('kafka-0:9092, 10.0.0.7:19092');
  });
});

describe('POSTGRES_POOL_MAX', () => {
  const POOLS = { 'sparkflow-a': 2, 'sparkflow-b': 6 };
  const Env = PostgresEnv.extend(postgresPoolEnv(POOLS).shape).transform(postgresPoolSplit(POOLS));
  const parse = (env: Record<string, string>) => parseEnv('svc', Env, env);

  it("defaults to the pools' sum, each pool at its own size, which postgresSettings hands to the stores", () => {
    const c = parse({});
    expect(c.POSTGRES_POOL_MAX).toBe(8);
    expect(postgresSettings(c).pools).toEqual(POOLS);
  });

  it('is split among the pools in proportion to their sizes', () => {
    expect(postgresSettings(parse({ POSTGRES_POOL_MAX: '4' })).pools).toEqual({
      'sparkflow-a': 1,
      'sparkflow-b': 3,
    });
  });

  it.each([
    [
      '1',
      /POSTGRES_POOL_MAX: at least 2, one connection for each of the process's pools \(sparkflow-a, sparkflow-b\)/,
    ],
    ['', /POSTGRES_POOL_MAX: at least 2/],
    ['3.5', /POSTGRES_POOL_MAX: a whole number of connections, at least 2/],
    ['eight', /POSTGRES_POOL_MAX: a whole number of connections, at least 2/],
    ['10001', /POSTGRES_POOL_MAX: at most 10,000 connections/],
  ])('refuses %j, naming the variable and what it takes', (value, says) => {
    expect(() => parse({ POSTGRES_POOL_MAX: value })).toThrow(says);
  });

  it('is not silently ignored by a config that does not split it', () => {
    const unsplit = parseEnv('svc', PostgresEnv.extend(postgresPoolEnv(POOLS).shape), {});
    expect(() => postgresSettings(unsplit)).toThrow(/POSTGRES_POOL_MAX is set but not split among the pools/);
    expect(postgresSettings(parseEnv('svc', PostgresEnv, {})).pools).toBeUndefined();
  });
});
