import { AclOperationTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { KAFKA_PRINCIPALS, TOPICS, kafkaPrincipal } from '@sparkflow/contracts';
import { aclBindings } from './kafka-acls';

/** kafkajs' enums are plain objects at run time, without TypeScript's reverse mapping. */
const nameOf = (e: object, v: number) => Object.entries(e).find(([, x]) => x === v)?.[0];

const summary = (role: Parameters<typeof kafkaPrincipal>[0]) =>
  aclBindings(kafkaPrincipal(role))
    .map(
      (a) =>
        `${nameOf(AclOperationTypes, a.operation)} ${nameOf(AclResourceTypes, a.resourceType)}:${a.resourceName}` +
        (a.resourcePatternType === ResourcePatternTypes.PREFIXED ? '*' : ''),
    )
    .sort();

describe('aclBindings', () => {
  it('lets enrichment read users.raw with its group and write users.enriched and users.dlq, nothing else', () => {
    expect(summary('enrichment')).toEqual([
      'READ GROUP:sparkflow-enrichment',
      `READ TOPIC:${TOPICS.usersRaw}`,
      `WRITE TOPIC:${TOPICS.usersDlq}`,
      `WRITE TOPIC:${TOPICS.usersEnriched}`,
    ]);
  });

  it('gives ingestion no group and no read', () => {
    expect(summary('ingestion')).toEqual([
      `WRITE TOPIC:${TOPICS.usersDlq}`,
      `WRITE TOPIC:${TOPICS.usersRaw}`,
    ]);
  });

  it('gives the CLI read on every topic and group, and only its own throw-away groups by prefix', () => {
    expect(summary('cli')).toEqual(
      expect.arrayContaining([
        'DESCRIBE GROUP:*',
        'DESCRIBE_CONFIGS TOPIC:*',
        'READ TOPIC:*',
        'READ GROUP:sparkflow-cli-*',
      ]),
    );
    expect(summary('cli')).not.toContain('WRITE TOPIC:users.dlq');
  });

  it('grants every principal only ALLOW bindings for its own user', () => {
    for (const p of KAFKA_PRINCIPALS) {
      for (const a of aclBindings(p)) expect(a.principal).toBe(`User:${p.user}`);
    }
  });
});
