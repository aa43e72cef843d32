import { TOPOLOGIES } from '@sparkflow/contracts';
import {
  BENCH_CLUSTER_HOME,
  benchClusterEnv,
  benchClusterSettings,
  clusterCpuPerUser,
  clusterProcessNames,
  replicasUp,
} from './cluster-stack';

describe('the cluster stage’s own stack', () => {
  const env = benchClusterEnv({ SPARKFLOW_HOME: '/somewhere/.sparkflow', KAFKA_PORT: '12092', PATH: '/bin' });

  it('runs on a home and ports of its own, whatever the single stack uses', () => {
    expect(env['SPARKFLOW_HOME']).toBe(BENCH_CLUSTER_HOME);
    expect(env['SPARKFLOW_TOPOLOGY']).toBe('cluster');
    expect(env['KAFKA_PORT']).toBe('33092');
    expect(env['PATH']).toBe('/bin');
    const ports = Object.entries(env).filter(([k]) => k.endsWith('_PORT'));
    expect(ports.length).toBeGreaterThan(8);
    for (const [, port] of ports) expect(Number(port)).toBeGreaterThanOrEqual(33000);
  });

  it('reaches every broker and Cassandra node, and HAProxy for ingestion and the audit', () => {
    const s = benchClusterSettings(env);
    expect(s.KAFKA_BROKERS).toBe('127.0.0.1:33092,127.0.0.2:33092,127.0.0.3:33092');
    expect(s.CASSANDRA_CONTACT_POINTS).toBe('127.0.0.1:33042,127.0.0.2:33042,127.0.0.3:33042');
    expect(s.INGESTION_HTTP_PORT).toBe(33300);
    expect(s.AUDIT_HTTP_PORT).toBe(33303);
    expect(s.POSTGRES_PORT).toBe(33432);
  });
});

describe('clusterProcessNames', () => {
  it("names every node and replica the stage starts, as the stack's pid files do", () => {
    expect(clusterProcessNames()).toEqual([
      'kafka-1',
      'kafka-2',
      'kafka-3',
      'cassandra-1',
      'cassandra-2',
      'cassandra-3',
      'postgres',
      'ingestion-1',
      'ingestion-2',
      'enrichment-1',
      'enrichment-2',
      'persistence-1',
      'persistence-2',
      'audit-1',
      'audit-2',
      'haproxy',
    ]);
  });

  it('follows the topology it is given', () => {
    const names = clusterProcessNames({ ...TOPOLOGIES.cluster, kafkaNodes: 5, serviceReplicas: 3 });
    expect(names.filter((n) => n.startsWith('kafka-'))).toHaveLength(5);
    expect(names.filter((n) => n.startsWith('audit-'))).toEqual(['audit-1', 'audit-2', 'audit-3']);
  });
});

describe('clusterCpuPerUser', () => {
  it('sums each component’s nodes and replicas, and splits services from engines', () => {
    const cpu = clusterCpuPerUser({
      'kafka-1': 0.2,
      'kafka-2': 0.1,
      'kafka-3': 0.1,
      'cassandra-1': 0.3,
      'cassandra-2': 0.3,
      'cassandra-3': 0.2,
      postgres: 0.1,
      'ingestion-1': 0.05,
      'ingestion-2': 0.05,
      'enrichment-1': 0.02,
      'enrichment-2': 0.03,
      'persistence-1': 0.1,
      'persistence-2': 0.1,
      'audit-1': 0.04,
      'audit-2': 0.06,
      haproxy: 0.01,
    });
    expect(cpu.byEngine).toEqual({ kafka: 0.4, cassandra: 0.8, postgres: 0.1, haproxy: 0.01 });
    expect(cpu.byService).toEqual({ ingestion: 0.1, enrichment: 0.05, persistence: 0.2, audit: 0.1 });
    expect(cpu.engines).toBe(1.31);
    expect(cpu.services).toBe(0.45);
    expect(cpu.total).toBe(1.76);
    expect(cpu.byProcess['cassandra-3']).toBe(0.2);
  });

  it('reports 0 for a component with no figure', () => {
    expect(clusterCpuPerUser({ 'kafka-1': 0.5 }).byEngine.haproxy).toBe(0);
  });
});

describe('replicasUp', () => {
  it("counts each fronted service's replicas HAProxy finds UP", () => {
    const csv = [
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status',
      'ingestion,FRONTEND,,,0,1,4096,1,0,0,0,0,0,,,,,OPEN',
      'ingestion,ingestion-1,0,0,0,1,,1,0,0,,0,,0,0,0,0,UP',
      'ingestion,ingestion-2,0,0,0,1,,1,0,0,,0,,0,0,0,0,DOWN 1/2',
      'ingestion,BACKEND,0,0,0,1,410,1,0,0,0,0,,0,0,0,0,UP',
      'audit,audit-1,0,0,0,1,,1,0,0,,0,,0,0,0,0,UP',
      'audit,audit-2,0,0,0,1,,1,0,0,,0,,0,0,0,0,UP 1/2',
    ].join('\n');
    expect(replicasUp(csv, ['ingestion', 'audit'])).toEqual({
      ingestion: { up: 1, of: 2 },
      audit: { up: 2, of: 2 },
    });
  });
});
