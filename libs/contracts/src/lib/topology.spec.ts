import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TOPOLOGIES,
  localNodeAddresses,
  localReplicaPort,
  localServiceProcesses,
  localTopologyFile,
  ordinals,
  recordedLocalTopology,
} from './topology';

describe('the native stack on one machine', () => {
  it('numbers nodes and replicas from 1', () => {
    expect(ordinals(3)).toEqual([1, 2, 3]);
    expect(localNodeAddresses(3, 9092)).toBe('127.0.0.1:9092,127.0.0.2:9092,127.0.0.3:9092');
  });

  it('runs a single service on its usual port, and each cluster replica 100 per replica above it', () => {
    expect(localServiceProcesses('single', 'enrichment', 3001)).toEqual([{ name: 'enrichment', port: 3001 }]);
    expect(localServiceProcesses('cluster', 'enrichment', 3001)).toEqual([
      { name: 'enrichment-1', port: 3101 },
      { name: 'enrichment-2', port: 3201 },
    ]);
    expect(localReplicaPort(33000, 2)).toBe(33200);
    expect(localServiceProcesses('cluster', 'audit', 3003)).toHaveLength(TOPOLOGIES.cluster.serviceReplicas);
  });
});

describe("the topology a native stack's home records", () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'sparkflow-home-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('is none for a home that holds nothing, or no home at all', () => {
    expect(recordedLocalTopology(home)).toBeNull();
    expect(recordedLocalTopology(join(home, 'absent'))).toBeNull();
  });

  it('is the one its record names, whatever folders are beside it', () => {
    mkdirSync(join(home, 'kafka'));
    writeFileSync(localTopologyFile(home), 'cluster\n');
    expect(recordedLocalTopology(home)).toBe('cluster');
    writeFileSync(localTopologyFile(home), 'single\n');
    expect(recordedLocalTopology(home)).toBe('single');
  });

  it('is told by the data folders of a home older than the record, or one whose record names neither', () => {
    mkdirSync(join(home, 'kafka-1'));
    expect(recordedLocalTopology(home)).toBe('cluster');
    writeFileSync(localTopologyFile(home), 'three racks\n');
    expect(recordedLocalTopology(home)).toBe('cluster');
    rmSync(localTopologyFile(home));
    mkdirSync(join(home, 'kafka'));
    expect(recordedLocalTopology(home)).toBe('single');
  });

  it('is an error naming the record when it is there but cannot be read', () => {
    mkdirSync(join(home, 'kafka-1'));
    mkdirSync(localTopologyFile(home));
    expect(() => recordedLocalTopology(home)).toThrow(`cannot read ${localTopologyFile(home)}`);
  });
});
