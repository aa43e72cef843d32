import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { AclOperationTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import {
  KAFKA_ADMIN_USER,
  KAFKA_PRINCIPALS,
  TOPIC_SPECS,
  TOPIC_TIMESTAMP_TYPE,
  TOPICS,
  type TopicName,
} from '@sparkflow/contracts';
import { aclBindings } from '@sparkflow/kafka';
import { loadTelemetryConfig } from '@sparkflow/telemetry';
import { appConfigKeys } from './app-config-keys';
import { REPO_ROOT } from './compose-file';

/** The Kubernetes manifests, checked statically against the apps' config schemas and the topic contracts. */
const K8S = join(REPO_ROOT, 'deploy', 'k8s');

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec: Record<string, unknown>;
}
const docs = (file: string) =>
  parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => d.toJS() as Doc);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
  };
}
interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  env: EnvVar[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** The topics each consumer's group reads: a replica beyond the largest partition count would idle. */
const CONSUMES: Record<string, TopicName[]> = {
  enrichment: [TOPICS.usersRaw],
  persistence: [TOPICS.usersEnriched],
  audit: [TOPICS.usersRaw, TOPICS.usersEnriched, TOPICS.usersDlq, TOPICS.usersPersisted],
};
const PENDING_LIB_KEYS = new Set<string>(); // see compose.spec.ts

const config = docs('config.yaml').find((d) => d.kind === 'ConfigMap')!;
const kustomization = docs('kustomization.yaml')[0] as unknown as { resources: string[] };

describe.each(['ingestion', 'enrichment', 'persistence', 'audit'])('deploy/k8s %s', (app) => {
  const all = docs(`${app}.yaml`);
  const deployment = all.find((d) => d.kind === 'Deployment')!;
  const hpa = all.find((d) => d.kind === 'HorizontalPodAutoscaler')!;
  const container = (deployment.spec['template'] as { spec: { containers: Container[] } }).spec.containers[0];
  const port = `${app.toUpperCase()}_HTTP_PORT`;

  it('is listed in kustomization.yaml and runs the image built for it', () => {
    expect(kustomization.resources).toContain(`${app}.yaml`);
    expect(container.image).toBe(`sparkflow/${app}`);
  });

  it('sets only variables its config schema declares, from the ConfigMap and Secret that hold them', async () => {
    const values: Record<string, string> = {};
    for (const e of container.env) {
      const ref = e.valueFrom?.configMapKeyRef;
      if (ref) {
        expect({ key: ref.key, inConfigMap: ref.key in (config.data ?? {}) }).toEqual({
          key: ref.key,
          inConfigMap: true,
        });
        values[e.name] = config.data![ref.key];
      } else values[e.name] = e.value ?? 'from-a-secret';
    }
    const keys = await appConfigKeys(app, values);
    const telemetry = new Set(Object.keys(loadTelemetryConfig(values)));
    expect(
      Object.keys(values).filter((k) => !keys.has(k) && !telemetry.has(k) && !PENDING_LIB_KEYS.has(k)),
    ).toEqual([]);
    for (const address of ['KAFKA_BROKERS', 'CASSANDRA_CONTACT_POINTS', 'POSTGRES_HOST']) {
      if (keys.has(address)) expect(Object.keys(values)).toContain(address);
    }
    for (const secret of [
      'CASSANDRA_PASSWORD',
      'POSTGRES_PASSWORD',
      'INGESTION_API_KEYS',
      'AUDIT_API_KEYS',
    ]) {
      const e = container.env.find((x) => x.name === secret);
      if (e) expect(e.valueFrom?.secretKeyRef?.name).toBe('sparkflow-credentials');
    }
  });

  it('probes /health/live and /health/ready on the port the app listens on, with resources set', () => {
    const value = container.env.find((e) => e.name === port)?.value;
    expect(container.ports).toEqual([{ name: 'http', containerPort: Number(value) }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container.resources.requests).toEqual(
      expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
    );
    expect(container.resources.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
  });

  it('autoscales no further than the partitions it can be given', () => {
    expect(hpa.spec['scaleTargetRef']).toMatchObject({ kind: 'Deployment', name: app });
    const topics = CONSUMES[app];
    if (!topics) return;
    const partitions = Math.max(...topics.map((t) => TOPIC_SPECS.find((s) => s.name === t)!.partitions));
    expect(hpa.spec['maxReplicas']).toBeLessThanOrEqual(partitions);
  });
});

/** kafkajs' enums are plain objects at run time. */
const nameOf = (e: object, v: number) => Object.entries(e).find(([, x]) => x === v)?.[0] ?? String(v);

describe('deploy/k8s/strimzi', () => {
  it("declares one KafkaUser per principal with exactly the ACLs of libs/contracts' KAFKA_PRINCIPALS", () => {
    interface UserSpec {
      authentication: { type: string };
      authorization?: {
        type: string;
        acls: { resource: { type: string; name: string; patternType: string }; operations: string[] }[];
      };
    }
    const users = docs('strimzi/kafka-users.yaml').filter((d) => d.kind === 'KafkaUser');
    const declared = Object.fromEntries(
      users.map((u) => {
        const spec = u.spec as unknown as UserSpec;
        expect({ user: u.metadata.name, auth: spec.authentication.type }).toEqual({
          user: u.metadata.name,
          auth: 'scram-sha-512',
        });
        const acls = (spec.authorization?.acls ?? []).flatMap((a) =>
          a.operations.map(
            (op) => `${a.resource.type}:${a.resource.name}:${a.resource.patternType}:${op.toLowerCase()}`,
          ),
        );
        return [u.metadata.name, acls.sort()];
      }),
    );
    const expected = Object.fromEntries([
      [KAFKA_ADMIN_USER, []],
      ...KAFKA_PRINCIPALS.map((p) => [
        p.user,
        aclBindings(p)
          .map(
            (a) =>
              `${nameOf(AclResourceTypes, a.resourceType).toLowerCase()}:${a.resourceName}:` +
              `${a.resourcePatternType === ResourcePatternTypes.PREFIXED ? 'prefix' : 'literal'}:` +
              nameOf(AclOperationTypes, a.operation).replace(/_/g, '').toLowerCase(),
          )
          .sort(),
      ]),
    ]);
    expect(declared).toEqual(expected);
  });

  it('declares every contract topic with its partitions, retention, cleanup policy and timestamp type', () => {
    const topics = docs('strimzi/kafka-topics.yaml').filter((d) => d.kind === 'KafkaTopic');
    const declared = topics.map((t) => {
      const spec = t.spec as { partitions: number; config: Record<string, string> };
      return {
        name: t.metadata.name,
        partitions: spec.partitions,
        retentionMs: Number(spec.config['retention.ms']),
        cleanupPolicy: spec.config['cleanup.policy'],
        timestampType: spec.config['message.timestamp.type'],
      };
    });
    expect(declared.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      TOPIC_SPECS.map((s) => ({
        name: s.name,
        partitions: s.partitions,
        retentionMs: s.retentionMs,
        cleanupPolicy: s.cleanupPolicy,
        timestampType: TOPIC_TIMESTAMP_TYPE,
      })).sort((a, b) => a.name.localeCompare(b.name)),
    );
  });
});
