import {
  TOPOLOGIES,
  localNodeAddresses,
  localReplicaPort,
  localServiceProcesses,
  ordinals,
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
