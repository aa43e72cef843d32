import { Command } from 'commander';
import { createCassandraClient, findUserRow } from '@sparkflow/cassandra';
import { UserHistoryQuery, type UserHistory } from '@sparkflow/contracts';
import { contextOf } from '../context';
import { parsePositiveInt, parseUuid } from './options';
import { CliError, ComponentDownError, rootReason } from '../errors';
import type { CliConfig } from '../cli.config';
import { auditEntity } from '../http/api';
import { format, visibleLength } from '../output/output';
import { reasonWords } from '../output/reasons';

/** The audit's default and bound for a history's `limit`, from the contract it validates the query with. */
const HISTORY_LIMIT = {
  default: UserHistoryQuery.parse({}).limit,
  max: UserHistoryQuery.shape.limit.unwrap().maxValue ?? 1000,
};

/** Driver values (Uuid, LocalDate, Long, …) as plain JSON. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object') return String(value);
  return value;
}

/** The errors a failed connect carries: its own, and each host's when none of them could be used. */
function connectErrors(err: unknown): { name?: string; code?: number; message?: string }[] {
  const inner = (err as { innerErrors?: Record<string, unknown> } | null)?.innerErrors;
  return [...Object.values(inner ?? {}), err].filter((e): e is object => typeof e === 'object' && e !== null);
}

/**
 * Why the CLI could not connect to Cassandra, naming the setting to check where Cassandra answered and
 * refused it (a login, a keyspace, a data centre): only a Cassandra that does not answer is "start the stack".
 */
export function explainCassandraConnect(cfg: Pick<CliConfig, 'cassandra'>, err: unknown): CliError {
  const { contactPoints, username, keyspace, localDataCenter } = cfg.cassandra;
  const at = contactPoints.join(',');
  const errors = connectErrors(err);
  const reason = (e: { message?: string }) => (e.message ?? '').split('\n')[0].slice(0, 300);
  const login = errors.find((e) => e.name === 'AuthenticationError');
  if (login)
    return new CliError(
      `Cassandra at ${at} refused the login of ${username} (${reason(login)}).\n` +
        "  Check CASSANDRA_USERNAME and CASSANDRA_PASSWORD; on the native stack they are the stack's (see `npx sparkflow help`).",
    );
  // 0x2200: Invalid, which is what Cassandra answers a USE of a keyspace it does not have.
  const noKeyspace = errors.find((e) => e.code === 0x2200 && /keyspace/i.test(e.message ?? ''));
  if (noKeyspace)
    return new CliError(
      `Cassandra at ${at} has no keyspace ${JSON.stringify(keyspace)} (${reason(noKeyspace)}).\n` +
        '  Check CASSANDRA_KEYSPACE (sparkflow unless the stack was started with another).',
    );
  const wrongDc = errors.find((e) => /localDataCenter/.test(e.message ?? ''));
  if (wrongDc)
    return new CliError(
      `Cassandra at ${at} has no data centre ${JSON.stringify(localDataCenter)} (${reason(wrongDc)}).\n` +
        "  Check CASSANDRA_LOCAL_DC: it names the data centre of the nodes the CLI talks to (the stack's is datacenter1).",
    );
  return new ComponentDownError('Cassandra', at, rootReason(err).split('\n')[0].slice(0, 300));
}

async function cassandraRow(cfg: CliConfig, userId: string): Promise<Record<string, unknown> | null> {
  const client = createCassandraClient({ ...cfg.cassandra });
  try {
    try {
      await client.connect();
    } catch (err) {
      throw explainCassandraConnect(cfg, err);
    }
    const row = await findUserRow(client, userId);
    return row && Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)]));
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

export function usersCommand(): Command {
  const users = new Command('users').description('look up people');
  users
    .command('get')
    .description("a person's Cassandra row and audit history side by side")
    .argument('<userId>', "the person's login.uuid", parseUuid('<userId>', "a person's login.uuid"))
    .option(
      '--limit <n>',
      `the newest n audit rows (default ${HISTORY_LIMIT.default}, at most ${HISTORY_LIMIT.max})`,
      parsePositiveInt('--limit', HISTORY_LIMIT.max),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ sparkflow users get 7a1d5c3e-2b4f-4e8a-9c6d-0f1e2a3b4c5d
  $ sparkflow users get <userId> --json | jq '.history[] | {outcome, topic}'

Exit codes: 0 a Cassandra row or audit history found, 1 neither (or Cassandra or the audit down, the
audit refusing the key, or another server at AUDIT_URL / AUDIT_HTTP_PORT), 2 not a UUID.`,
    )
    .action(async (raw: string, opts: { limit?: number }, cmd: Command) => {
      const { cfg, out } = contextOf(cmd);
      const userId = raw.toLowerCase();
      const limit = opts.limit ?? HISTORY_LIMIT.default;
      const [row, found] = await Promise.all([
        cassandraRow(cfg, userId),
        auditEntity<UserHistory>(cfg, `/v1/users/${userId}/history?limit=${limit}`),
      ]);
      const history = found?.events ?? [];
      const historyTruncated = found?.truncated ?? false;
      if (out.json) {
        out.data({ userId, cassandra: row, history, historyTruncated });
      } else {
        const left = [out.paint('bold', 'Cassandra (sparkflow.users)')];
        if (row) {
          const width = Math.max(...Object.keys(row).map((k) => k.length));
          for (const [k, v] of Object.entries(row))
            if (v !== null) left.push(`${out.paint('dim', k.padEnd(width))}  ${format(v)}`);
        } else left.push(out.paint('yellow', 'no row'));
        const right = [out.paint('bold', 'Audit history')];
        if (historyTruncated)
          right.push(
            out.paint(
              'yellow',
              `the newest ${limit} rows; older ones left out${limit < HISTORY_LIMIT.max ? ` (--limit up to ${HISTORY_LIMIT.max})` : ''}`,
            ),
          );
        if (!history.length) right.push(out.paint('yellow', 'no events'));
        for (const e of history) {
          const style = e.outcome === 'dead-lettered' ? 'red' : e.outcome === 'persisted' ? 'green' : 'cyan';
          right.push(`${out.paint(style, e.outcome.padEnd(13))} ${e.topic.padEnd(15)} ${e.recordedAt}`);
          right.push(`  ${out.paint('dim', `event ${e.eventId} batch ${e.batchId ?? '-'}`)}`);
          for (const r of e.reasons ?? [])
            right.push(`  ${reasonWords(r, (code) => out.paint('red', code))}`);
        }
        const columns = process.stdout.columns ?? 0;
        const leftWidth = Math.min(70, Math.max(...left.map(visibleLength)));
        if (out.options.tty && columns >= leftWidth + 60) {
          for (let i = 0; i < Math.max(left.length, right.length); i++) {
            const l = (left[i] ?? '').slice(0, 400);
            out.line(`${l}${' '.repeat(Math.max(1, leftWidth - visibleLength(l) + 3))}│ ${right[i] ?? ''}`);
          }
        } else {
          for (const l of left) out.line(l);
          out.line();
          for (const r of right) out.line(r);
        }
      }
      if (!row && !history.length) throw new CliError(`no user ${userId} in Cassandra or in the audit`);
    });
  return users;
}
