import type { Client } from 'cassandra-driver';

// The one table persistence writes a person to (migration 0001 on), keyed by their login.uuid.
const SELECT_USER = 'SELECT * FROM users WHERE user_id = ?';

/**
 * A person's row in `users` by id, as the driver returns it (column name → value), or null. The
 * persistence service and the CLI's `users get` read it through here.
 */
export async function findUserRow(client: Client, userId: string): Promise<Record<string, unknown> | null> {
  const rs = await client.execute(SELECT_USER, [userId], { prepare: true });
  return (rs.first() as Record<string, unknown> | null) ?? null;
}
