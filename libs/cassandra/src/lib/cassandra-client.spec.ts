import type { ClientOptions } from 'cassandra-driver';
import fc from 'fast-check';
import { cqlPortOf, createCassandraClient } from './cassandra-client';

const host = fc.oneof(
  fc.ipV4(),
  fc.domain(),
  fc.ipV6().map((ip) => `[${ip}]`),
);
const port = fc.integer({ min: 1, max: 65535 });

describe('cqlPortOf', () => {
  it('is the one port every contact point names, in any host form (seeded property)', () => {
    fc.assert(
      fc.property(fc.array(host, { minLength: 1, maxLength: 5 }), port, (hosts, p) => {
        expect(cqlPortOf(hosts.map((h) => `${h}:${p}`))).toBe(p);
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });

  it('is 9042 for hosts that name no port, bare IPv6 addresses included', () => {
    expect(cqlPortOf(['127.0.0.1', 'cassandra-0.example', '::1', '[::1]'])).toBe(9042);
    expect(cqlPortOf(['127.0.0.1', '127.0.0.2:9042'])).toBe(9042);
  });

  it('refuses contact points that name different ports, naming the setting and the ports (seeded property)', () => {
    fc.assert(
      fc.property(host, host, port, port, (a, b, p, q) => {
        fc.pre(p !== q);
        expect(() => cqlPortOf([`${a}:${p}`, `${b}:${q}`])).toThrow(
          new RegExp(`CASSANDRA_CONTACT_POINTS name 2 ports \\(${p}, ${q}\\)`),
        );
      }),
      { seed: 20261203, numRuns: 200 },
    );
  });
});

describe('createCassandraClient', () => {
  it("reaches the nodes it learns from peers at the contact points' port, not the driver's 9042", () => {
    const client = createCassandraClient({
      contactPoints: ['127.0.0.1:31042', '127.0.0.2:31042'],
      localDataCenter: 'datacenter1',
      username: 'u',
      password: 'p',
    });
    // The options the driver runs with (public on the instance, absent from its typings).
    const { options } = client as unknown as { options: ClientOptions };
    expect(options.protocolOptions?.port).toBe(31042);
  });
});
