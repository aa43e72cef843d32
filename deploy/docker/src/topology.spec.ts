import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { TOPIC_SPECS, TOPOLOGIES, type Topology } from '@sparkflow/contracts';
import { BootstrapEnv } from '../init/bootstrap.config';
import {
  COMPOSE_CLUSTER_FILE,
  COMPOSE_FILE,
  ENV_EXAMPLE,
  REPO_ROOT,
  environmentOf,
  loadComposeStack,
  parseDotEnv,
  type ComposeFile,
  type ComposeService,
} from './compose-file';

/**
 * libs/contracts' TOPOLOGIES declares each topology's nodes, replication and replicas once; the native stack
 * (`--topology cluster`), Compose (docker-compose.yml alone, or with docker-compose.cluster.yml) and the
 * Kubernetes manifests (Strimzi, K8ssandra, the Deployments) are checked against it here, so none can drift.
 */
const SERVICES = ['ingestion', 'enrichment', 'persistence', 'audit'] as const;
/** The data centre of every Cassandra node, on the native stack, in Compose and on Kubernetes. */
const DATA_CENTRE = 'datacenter1';

const env = parseDotEnv(readFileSync(ENV_EXAMPLE, 'utf8'));

/** What a Compose stack describes, in TOPOLOGIES' terms, read from the engines' own settings. */
function composeTopology(compose: ComposeFile): Topology {
  const init = BootstrapEnv.parse(environmentOf(compose.services['init']));
  const replicas = SERVICES.map((s) => compose.services[s].deploy?.replicas ?? 1);
  const kafka = kafkaNodes(compose).map(([, s]) => environmentOf(s));
  // A broker's default for what it is not told (Kafka's own defaults: one copy, one in sync).
  const brokerSetting = (key: string) => [...new Set(kafka.map((e) => Number(e[key] ?? 1)))];
  expect({
    replicas: new Set(replicas).size,
    rf: brokerSetting('KAFKA_DEFAULT_REPLICATION_FACTOR').length,
  }).toEqual({ replicas: 1, rf: 1 });
  expect(brokerSetting('KAFKA_MIN_INSYNC_REPLICAS')).toHaveLength(1);
  // Topics get init's replication factor; what the brokers would give one created otherwise must agree.
  expect(brokerSetting('KAFKA_DEFAULT_REPLICATION_FACTOR')[0]).toBe(init.KAFKA_TOPIC_REPLICATION_FACTOR);
  return {
    kafkaNodes: kafka.length,
    topicReplicationFactor: init.KAFKA_TOPIC_REPLICATION_FACTOR,
    minInsyncReplicas: brokerSetting('KAFKA_MIN_INSYNC_REPLICAS')[0],
    cassandraNodes: cassandraNodes(compose).length,
    keyspaceReplicationFactor: init.CASSANDRA_REPLICATION_FACTOR,
    serviceReplicas: replicas[0],
  };
}

const kafkaNodes = (c: ComposeFile): [string, ComposeService][] =>
  Object.entries(c.services).filter(([, s]) => 'KAFKA_PROCESS_ROLES' in environmentOf(s));
const cassandraNodes = (c: ComposeFile): [string, ComposeService][] =>
  Object.entries(c.services).filter(([, s]) => s.image?.startsWith('cassandra:'));

describe.each([
  ['single', 'docker-compose.yml', [COMPOSE_FILE]],
  ['cluster', 'docker-compose.yml + docker-compose.cluster.yml', [COMPOSE_FILE, COMPOSE_CLUSTER_FILE]],
] as const)('the %s topology in Compose (%s)', (name, _files, files) => {
  const topology = TOPOLOGIES[name];
  const compose = loadComposeStack(env, files);

  it("has TOPOLOGIES' nodes, replication factors and replicas", () => {
    expect(composeTopology(compose)).toEqual(topology);
  });

  it('runs every Kafka node as broker and controller, each a voter of one quorum under its own id and address', () => {
    const nodes = kafkaNodes(compose).map(([service, s]) => ({ service, env: environmentOf(s) }));
    const voters = nodes.map((n) => `${n.env['KAFKA_NODE_ID']}@${n.service}:9093`).sort();
    for (const n of nodes) {
      expect({
        service: n.service,
        roles: n.env['KAFKA_PROCESS_ROLES'].split(',').sort(),
        voters: n.env['KAFKA_CONTROLLER_QUORUM_VOTERS'].split(',').sort(),
      }).toEqual({ service: n.service, roles: ['broker', 'controller'], voters });
    }
    const distinct = (key: string) => new Set(nodes.map((n) => n.env[key])).size;
    expect([
      distinct('KAFKA_NODE_ID'),
      distinct('KAFKA_ADVERTISED_LISTENERS'),
      distinct('CLUSTER_ID'),
    ]).toEqual([nodes.length, nodes.length, 1]);
    // The internal topics (consumer offsets, transactions) are replicated like the contract's.
    for (const n of nodes) {
      expect(Number(n.env['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR'])).toBe(topology.topicReplicationFactor);
      expect(Number(n.env['KAFKA_TRANSACTION_STATE_LOG_MIN_ISR'])).toBe(topology.minInsyncReplicas);
    }
  });

  it(`puts every Cassandra node in ${DATA_CENTRE}, seeded from nodes of the ring, each on its own volume`, () => {
    const nodes = cassandraNodes(compose);
    const names = nodes.map(([service]) => service);
    for (const [service, s] of nodes) {
      const e = environmentOf(s);
      const seeds = (e['CASSANDRA_SEEDS'] ?? service).split(',');
      expect({
        service,
        dc: e['CASSANDRA_DC'] ?? DATA_CENTRE,
        seedsInRing: seeds.every((x) => names.includes(x)),
      }).toEqual({ service, dc: DATA_CENTRE, seedsInRing: true });
    }
    const volumes = nodes.map(([, s]) => (s.volumes ?? []).find((v) => v.endsWith(':/var/lib/cassandra')));
    expect(new Set(volumes).size).toBe(nodes.length);
    for (const [service, s] of Object.entries(compose.services)) {
      const dc = environmentOf(s)['CASSANDRA_LOCAL_DC'];
      if (dc) expect({ service, dc }).toEqual({ service, dc: DATA_CENTRE });
    }
  });

  it('gives every client of Kafka or Cassandra every node, and Airflow the replicas behind HAProxy', () => {
    const hosts = (list: string) =>
      list
        .split(',')
        .map((a) => a.trim().split(':')[0])
        .sort();
    const kafka = kafkaNodes(compose)
      .map(([service]) => service)
      .sort();
    const cassandra = cassandraNodes(compose)
      .map(([service]) => service)
      .sort();
    const clients = Object.entries(compose.services).flatMap(([service, s]) => {
      const e = environmentOf(s);
      return [
        ...['KAFKA_BROKERS', 'KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS']
          .filter((key) => e[key])
          .map((key) => ({ service, key, hosts: hosts(e[key]), nodes: kafka })),
        ...['CASSANDRA_CONTACT_POINTS']
          .filter((key) => e[key])
          .map((key) => ({ service, key, hosts: hosts(e[key]), nodes: cassandra })),
      ];
    });
    expect(clients.length).toBeGreaterThan(8);
    for (const c of clients) expect({ ...c, hosts: c.hosts }).toEqual({ ...c, hosts: c.nodes });
    // Airflow's calls to ingestion and the audit go where HAProxy sends only to a ready replica.
    const front = 'haproxy' in compose.services ? 'haproxy' : null;
    for (const [service, s] of Object.entries(compose.services).filter(([n]) => n.startsWith('airflow-'))) {
      for (const key of ['AIRFLOW_CONN_SPARKFLOW_INGESTION', 'AIRFLOW_CONN_SPARKFLOW_AUDIT']) {
        const host = (JSON.parse(environmentOf(s)[key]) as { host: string }).host;
        expect({ service, key, host }).toEqual({
          service,
          key,
          host: front ?? key.split('_').pop()?.toLowerCase(),
        });
      }
    }
  });

  it('publishes no host port twice, and ingestion and audit on their usual ports', () => {
    const published = Object.values(compose.services).flatMap((s) =>
      (s.ports ?? []).map((p) => p.split(':').slice(0, -1).join(':')),
    );
    expect(published.filter((p, i) => published.indexOf(p) !== i)).toEqual([]);
    expect(published).toEqual(
      expect.arrayContaining([
        `127.0.0.1:${env['INGESTION_HTTP_PORT']}`,
        `127.0.0.1:${env['AUDIT_HTTP_PORT']}`,
      ]),
    );
  });
});

describe('the cluster topology in Compose: HAProxy', () => {
  const compose = loadComposeStack(env);
  const config = readFileSync(join(REPO_ROOT, 'deploy', 'docker', 'haproxy', 'haproxy.cfg'), 'utf8');

  it.each(['ingestion', 'audit'])(
    'balances the %s replicas, one server slot per replica, on the service port',
    (service) => {
      const port = Number(environmentOf(compose.services[service])[`${service.toUpperCase()}_HTTP_PORT`]);
      const template = new RegExp(
        `^\\s*server-template\\s+${service}\\s+(\\d+)\\s+${service}:(\\d+)\\s*$`,
        'm',
      ).exec(config);
      expect(template && { slots: Number(template[1]), port: Number(template[2]) }).toEqual({
        slots: TOPOLOGIES.cluster.serviceReplicas,
        port,
      });
      expect(config).toMatch(new RegExp(`^frontend ${service}\\n\\s+bind :${port}$`, 'm'));
      expect(compose.services['haproxy'].ports).toContain(`127.0.0.1:${port}:${port}`);
    },
  );
});

/** The Kubernetes manifests of deploy/k8s, checked against TOPOLOGIES.cluster. */
const K8S = join(REPO_ROOT, 'deploy', 'k8s');
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec: Record<string, unknown>;
}
const docs = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => d.toJS() as Doc);
const only = (file: string, kind: string): Doc => {
  const found = docs(file).filter((d) => d.kind === kind);
  expect({ file, kind, count: found.length }).toEqual({ file, kind, count: 1 });
  return found[0];
};

describe('the cluster topology on Kubernetes (deploy/k8s)', () => {
  const topology = TOPOLOGIES.cluster;

  describe('Strimzi', () => {
    const kafka = only('strimzi/kafka-cluster.yaml', 'Kafka');
    const pool = only('strimzi/kafka-cluster.yaml', 'KafkaNodePool');
    const config = (kafka.spec['kafka'] as { config: Record<string, string | number | boolean> }).config;

    it('runs one KafkaNodePool of combined broker and controller nodes, as many as TOPOLOGIES says', () => {
      expect({
        cluster: pool.metadata.labels?.['strimzi.io/cluster'],
        replicas: pool.spec['replicas'],
        roles: [...(pool.spec['roles'] as string[])].sort(),
      }).toEqual({
        cluster: kafka.metadata.name,
        replicas: topology.kafkaNodes,
        roles: ['broker', 'controller'],
      });
    });

    it("sets the brokers' replication defaults and the internal topics' to TOPOLOGIES'", () => {
      expect({
        'default.replication.factor': config['default.replication.factor'],
        'min.insync.replicas': config['min.insync.replicas'],
        'offsets.topic.replication.factor': config['offsets.topic.replication.factor'],
        'transaction.state.log.replication.factor': config['transaction.state.log.replication.factor'],
        'transaction.state.log.min.isr': config['transaction.state.log.min.isr'],
        'auto.create.topics.enable': config['auto.create.topics.enable'],
      }).toEqual({
        'default.replication.factor': topology.topicReplicationFactor,
        'min.insync.replicas': topology.minInsyncReplicas,
        'offsets.topic.replication.factor': topology.topicReplicationFactor,
        'transaction.state.log.replication.factor': topology.topicReplicationFactor,
        'transaction.state.log.min.isr': topology.minInsyncReplicas,
        'auto.create.topics.enable': false,
      });
    });

    it('declares every KafkaTopic of TOPIC_SPECS on that cluster with its replicas, min.insync.replicas and max.message.bytes', () => {
      const topics = docs('strimzi/kafka-topics.yaml').filter((d) => d.kind === 'KafkaTopic');
      const declared = topics.map((t) => {
        const spec = t.spec as { replicas: number; config: Record<string, string> };
        return {
          name: t.metadata.name,
          cluster: t.metadata.labels?.['strimzi.io/cluster'],
          replicas: spec.replicas,
          minInsyncReplicas: Number(spec.config['min.insync.replicas']),
          maxMessageBytes: Number(spec.config['max.message.bytes']),
        };
      });
      expect(declared.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
        TOPIC_SPECS.map((s) => ({
          name: s.name,
          cluster: kafka.metadata.name,
          replicas: topology.topicReplicationFactor,
          minInsyncReplicas: topology.minInsyncReplicas,
          maxMessageBytes: s.maxMessageBytes,
        })).sort((a, b) => a.name.localeCompare(b.name)),
      );
    });

    it('uses the API version every Strimzi release since 0.49 serves (1.0 removed v1beta2)', () => {
      for (const file of [
        'strimzi/kafka-cluster.yaml',
        'strimzi/kafka-topics.yaml',
        'strimzi/kafka-users.yaml',
      ]) {
        expect({ file, versions: [...new Set(docs(file).map((d) => d.apiVersion))] }).toEqual({
          file,
          versions: ['kafka.strimzi.io/v1'],
        });
      }
    });
  });

  describe('K8ssandra and the bootstrap Job', () => {
    const cluster = only('k8ssandra/k8ssandra-cluster.yaml', 'K8ssandraCluster');
    const cassandra = cluster.spec['cassandra'] as {
      serverVersion: string;
      datacenters: { metadata: { name: string }; size: number }[];
    };
    const configMap = only('config.yaml', 'ConfigMap').data ?? {};
    const job = only('bootstrap-job.yaml', 'Job');
    const jobEnv = Object.fromEntries(
      (
        job.spec['template'] as { spec: { containers: { env: { name: string; value: string }[] }[] } }
      ).spec.containers[0].env.map((e) => [e.name, e.value]),
    );

    it(`runs one data centre, ${DATA_CENTRE}, of TOPOLOGIES' Cassandra 5 nodes, which the services are pointed at`, () => {
      expect({
        version: cassandra.serverVersion.split('.')[0],
        datacenters: cassandra.datacenters.map((dc) => ({ name: dc.metadata.name, size: dc.size })),
        localDc: configMap['CASSANDRA_LOCAL_DC'],
        contactPoints: configMap['CASSANDRA_CONTACT_POINTS'].split('.')[0],
      }).toEqual({
        version: '5',
        datacenters: [{ name: DATA_CENTRE, size: topology.cassandraNodes }],
        localDc: DATA_CENTRE,
        // cass-operator's Service for the data centre: <cluster>-<dc>-service.
        contactPoints: `${cluster.metadata.name}-${DATA_CENTRE}-service`,
      });
    });

    it("warns of and refuses batches as the native stack and Compose do, above persistence's UNLOGGED batches", () => {
      const native = readFileSync(
        join(REPO_ROOT, 'deploy', 'local', 'cassandra', 'cassandra.yaml.template'),
        'utf8',
      );
      const keys = [
        'batch_size_warn_threshold',
        'batch_size_fail_threshold',
        'unlogged_batch_across_partitions_warn_threshold',
      ];
      const expected = Object.fromEntries(
        keys.map((k) => [k, new RegExp(`^${k}: (\\S+)$`, 'm').exec(native)?.[1]]),
      );
      expect(expected).toEqual({
        batch_size_warn_threshold: expect.stringMatching(/^\d+KiB$/),
        batch_size_fail_threshold: expect.stringMatching(/^\d+KiB$/),
        unlogged_batch_across_partitions_warn_threshold: expect.stringMatching(/^\d+$/),
      });
      const config = (cassandra as unknown as { config: { cassandraYaml?: Record<string, unknown> } }).config;
      const k8s = config.cassandraYaml ?? {};
      expect(Object.fromEntries(keys.map((k) => [k, String(k8s[k])]))).toEqual(expected);
      const entrypoint = [loadComposeStack(env, [COMPOSE_FILE]).services['cassandra'].entrypoint ?? []]
        .flat()
        .join(' ');
      for (const k of keys) expect(entrypoint).toContain(`s/^${k}:.*/${k}: ${expected[k]}/`);
    });

    it("creates the keyspace at TOPOLOGIES' replication factor and leaves Kafka to Strimzi", () => {
      expect(Object.keys(jobEnv).filter((k) => !(k in BootstrapEnv.shape))).toEqual([]);
      expect({
        keyspaceReplicationFactor: Number(jobEnv['CASSANDRA_REPLICATION_FACTOR']),
        topics: jobEnv['BOOTSTRAP_KAFKA_TOPICS'],
        acls: jobEnv['BOOTSTRAP_KAFKA_ACLS'],
      }).toEqual({
        keyspaceReplicationFactor: topology.keyspaceReplicationFactor,
        topics: 'false',
        acls: 'false',
      });
    });
  });

  describe.each(SERVICES)('%s', (service) => {
    const deployment = only(`${service}.yaml`, 'Deployment');
    const hpa = docs(`${service}.yaml`).find((d) => d.kind === 'HorizontalPodAutoscaler');
    const pdbs = docs(`${service}.yaml`).filter((d) => d.kind === 'PodDisruptionBudget');
    const podLabels = (deployment.spec['template'] as { metadata: { labels: Record<string, string> } })
      .metadata.labels;

    it("runs TOPOLOGIES' replicas, and its autoscaler never goes below them", () => {
      expect({
        replicas: deployment.spec['replicas'],
        minReplicas: hpa?.spec['minReplicas'] ?? topology.serviceReplicas,
      }).toEqual({ replicas: topology.serviceReplicas, minReplicas: topology.serviceReplicas });
    });

    it('has one PodDisruptionBudget over its pods that lets a drain evict one pod while another keeps serving', () => {
      expect(pdbs).toHaveLength(1);
      const spec = pdbs[0].spec as {
        selector: { matchLabels: Record<string, string> };
        maxUnavailable?: number;
        minAvailable?: number;
      };
      expect(podLabels).toEqual(expect.objectContaining(spec.selector.matchLabels));
      const replicas = topology.serviceReplicas;
      const unavailable = spec.maxUnavailable ?? replicas - (spec.minAvailable ?? replicas);
      expect({ evictable: unavailable >= 1, serving: replicas - unavailable >= 1 }).toEqual({
        evictable: true,
        serving: true,
      });
    });
  });
});
