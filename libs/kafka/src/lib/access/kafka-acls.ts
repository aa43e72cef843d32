import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type Admin,
  type AclEntry,
} from 'kafkajs';
import type { KafkaPrincipal } from '@sparkflow/contracts';

/** Kafka's wildcard resource name: every topic or group, `__consumer_offsets` included. */
const ANY_NAME = '*';

const allow = (
  p: KafkaPrincipal,
  resourceType: AclResourceTypes,
  resourceName: string,
  operation: AclOperationTypes,
  pattern: ResourcePatternTypes = ResourcePatternTypes.LITERAL,
): AclEntry => ({
  principal: `User:${p.user}`,
  host: '*',
  resourceType,
  resourceName,
  resourcePatternType: pattern,
  operation,
  permissionType: AclPermissionTypes.ALLOW,
});

/** The ACL bindings a principal's declaration grants: nothing else is allowed to it. */
export function aclBindings(p: KafkaPrincipal): AclEntry[] {
  const { TOPIC, GROUP } = AclResourceTypes;
  const { READ, WRITE, CREATE, DELETE, DESCRIBE, DESCRIBE_CONFIGS } = AclOperationTypes;
  const out: AclEntry[] = [
    ...p.consumes.map((t) => allow(p, TOPIC, t, READ)),
    ...p.produces.map((t) => allow(p, TOPIC, t, WRITE)),
    ...p.groups.map((g) => allow(p, GROUP, g, READ)),
    ...p.groupPrefixes.map((g) => allow(p, GROUP, g, READ, ResourcePatternTypes.PREFIXED)),
    ...p.ownedTopicPrefixes.flatMap((t) =>
      [CREATE, WRITE, READ, DELETE].map((op) => allow(p, TOPIC, t, op, ResourcePatternTypes.PREFIXED)),
    ),
  ];
  if (p.inspects) {
    out.push(
      allow(p, TOPIC, ANY_NAME, READ),
      allow(p, TOPIC, ANY_NAME, DESCRIBE_CONFIGS),
      allow(p, GROUP, ANY_NAME, DESCRIBE),
    );
  }
  return out;
}

const key = (a: AclEntry) =>
  [
    a.principal,
    a.host,
    a.resourceType,
    a.resourceName,
    a.resourcePatternType,
    a.operation,
    a.permissionType,
  ].join('|');

/**
 * Makes the broker's ACLs of these principals exactly their declarations: grants what is missing and
 * revokes what is no longer declared. Returns what it changed, one line each. Needs a super user.
 */
export async function ensureAcls(admin: Admin, principals: readonly KafkaPrincipal[]): Promise<string[]> {
  await admin.connect();
  try {
    const changes: string[] = [];
    for (const p of principals) {
      const wanted = new Map(aclBindings(p).map((a) => [key(a), a]));
      const described = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        principal: `User:${p.user}`,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      const present = new Map<string, AclEntry>();
      for (const r of described.resources) {
        for (const acl of r.acls) {
          const entry: AclEntry = {
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            resourcePatternType: r.resourcePatternType,
            ...acl,
          };
          present.set(key(entry), entry);
        }
      }
      const missing = [...wanted].filter(([k]) => !present.has(k)).map(([, a]) => a);
      const stale = [...present].filter(([k]) => !wanted.has(k)).map(([, a]) => a);
      if (missing.length) {
        await admin.createAcls({ acl: missing });
        changes.push(`${p.user}: granted ${missing.length} ACL(s)`);
      }
      if (stale.length) {
        await admin.deleteAcls({ filters: stale });
        changes.push(`${p.user}: revoked ${stale.length} ACL(s) no longer declared`);
      }
    }
    return changes;
  } finally {
    await admin.disconnect();
  }
}
