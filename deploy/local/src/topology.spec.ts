import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPOLOGIES, localServiceProcesses } from '@sparkflow/contracts';
import { initialToken, nodetoolCommand } from './components/cassandra';
import { engineClientEnv, loadStackConfig } from './config';
import { UsageError } from './errors';
import { componentsOf, selectComponents } from './stack';
import { settleTopology } from './topology';

const freshHome = () =>
  loadStackConfig({ SPARKFLOW_HOME: mkdtempSync(join(tmpdir(), 'sparkflow-topology-')) });

describe('stack topologies', () => {
  it('records the topology of a home at its first up and refuses the other one after', () => {
    const cfg = freshHome();
    expect(settleTopology(cfg, 'cluster', 'up').SPARKFLOW_TOPOLOGY).toBe('cluster');
    expect(readFileSync(join(cfg.home, 'topology'), 'utf8').trim()).toBe('cluster');
    expect(settleTopology(cfg, undefined, 'status').SPARKFLOW_TOPOLOGY).toBe('cluster');
    expect(() => settleTopology(cfg, 'single', 'up')).toThrow(UsageError);
    expect(() => settleTopology(cfg, 'single', 'up')).toThrow(/holds a cluster stack.*reset/);
  });

  it("runs nodetool only against one of the topology's Cassandra nodes, naming them when it is not one", () => {
    const cluster = settleTopology(freshHome(), 'cluster', 'up');
    const single = settleTopology(freshHome(), 'single', 'up');
    for (const name of ['', 'cassandra', 'cassandra-4', 'kafka-1']) {
      expect(() => nodetoolCommand(cluster, name, ['status'])).toThrow(UsageError);
    }
    expect(() => nodetoolCommand(cluster, 'cassandra', ['status'])).toThrow(
      'a Cassandra node of this cluster stack (cassandra-1, cassandra-2, cassandra-3), got "cassandra"',
    );
    expect(() => nodetoolCommand(single, 'cassandra-1', [])).toThrow(
      'a Cassandra node of this single stack (cassandra), got "cassandra-1"',
    );
  });

  it('refuses a home whose record is there but cannot be read, naming it, and leaves it as it is', () => {
    const cfg = freshHome();
    mkdirSync(join(cfg.home, 'topology'));
    expect(() => settleTopology(cfg, 'cluster', 'up')).toThrow(`cannot read ${join(cfg.home, 'topology')}`);
    expect(statSync(join(cfg.home, 'topology')).isDirectory()).toBe(true);
  });

  it('has one of everything in the single topology and the declared counts in the cluster', () => {
    const single = settleTopology(freshHome(), undefined, 'status');
    expect(componentsOf(single).map((c) => c.name)).toEqual(
      expect.arrayContaining(['kafka', 'cassandra', 'ingestion']),
    );
    const cluster = settleTopology(freshHome(), 'cluster', 'up');
    const names = componentsOf(cluster).map((c) => c.name);
    const { kafkaNodes, cassandraNodes, serviceReplicas } = TOPOLOGIES.cluster;
    expect(names.filter((n) => /^kafka-\d$/.test(n))).toHaveLength(kafkaNodes);
    expect(names.filter((n) => /^cassandra-\d$/.test(n))).toHaveLength(cassandraNodes);
    for (const service of ['ingestion', 'enrichment', 'persistence', 'audit']) {
      expect(selectComponents(cluster, [service]).map((c) => c.name)).toHaveLength(serviceReplicas);
    }
    expect(names).toContain('haproxy');
    expect(selectComponents(cluster, ['kafka-2']).map((c) => c.host)).toEqual(['127.0.0.2']);
    expect(() => selectComponents(cluster, ['kafka-9'])).toThrow(/unknown component "kafka-9"/);
  });

  it('runs each service replica where the shared rule says, which is where `sparkflow top` probes it', () => {
    const cluster = settleTopology(freshHome(), 'cluster', 'up');
    const ports = { ingestion: 3000, enrichment: 3001, persistence: 3002, audit: 3003 };
    for (const [service, port] of Object.entries(ports)) {
      const replicas = selectComponents(cluster, [service]).map((c) => ({
        name: c.name,
        port: c.mainPort(cluster),
      }));
      expect(replicas).toEqual(localServiceProcesses('cluster', service, port));
    }
  });

  it('gives clients every broker and every Cassandra node of the cluster', () => {
    const env = engineClientEnv(settleTopology(freshHome(), 'cluster', 'up'));
    expect(env['KAFKA_BROKERS']).toBe('127.0.0.1:9092,127.0.0.2:9092,127.0.0.3:9092');
    expect(env['CASSANDRA_CONTACT_POINTS']).toBe('127.0.0.1:9042,127.0.0.2:9042,127.0.0.3:9042');
  });

  it('splits the Cassandra ring evenly between the nodes, within the Murmur3 range', () => {
    const tokens = [1, 2, 3].map((n) => BigInt(initialToken(n, 3)));
    expect(tokens[0]).toBe(-(2n ** 63n));
    expect(tokens[1] - tokens[0]).toBe(tokens[2] - tokens[1]);
    expect(2n ** 64n - (tokens[2] - tokens[0])).toBeGreaterThanOrEqual(tokens[1] - tokens[0]);
    expect(tokens[2] < 2n ** 63n).toBe(true);
    expect(initialToken(1, 1)).toBe('0');
  });
});
