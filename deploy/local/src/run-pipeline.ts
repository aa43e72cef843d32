/**
 * `npm start`: the pipeline end to end on its default source. Brings the stack and the four services
 * up, asks ingestion for N synthetic users, follows the batch in the audit with a progress bar, and
 * prints what happened to every user.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { firstKey, loadStackConfig } from './config';
import { selectComponents, up } from './stack';
import { settleTopology } from './topology';
import { SetupError } from './errors';
import { syntheticBatchId, type BatchReport } from '@sparkflow/contracts';
import { parseRunArgs, USAGE } from './run-pipeline-args';

type Batch = BatchReport;

function bar(done: number, total: number, width = 30): string {
  const filled = Math.min(width, Math.round((done / Math.max(total, 1)) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

async function main(): Promise<void> {
  const parsed = parseRunArgs(process.argv.slice(2), new Date());
  if (parsed.kind === 'help') {
    console.log(USAGE);
    process.exit(0);
  }
  if (parsed.kind === 'refused') {
    console.error(`npm start: ${parsed.problem}\n\n${USAGE}`);
    process.exit(2);
  }
  const opts = parsed.options;
  const cfg = settleTopology(loadStackConfig(), undefined, 'up');
  await up(cfg, selectComponents(cfg, []), (line) => console.log(line));

  const ingestion = `http://127.0.0.1:${cfg.INGESTION_HTTP_PORT}`;
  const audit = `http://127.0.0.1:${cfg.AUDIT_HTTP_PORT}`;
  const apiKey = firstKey(cfg.INGESTION_API_KEYS);
  const auditHeaders = { 'x-api-key': firstKey(cfg.AUDIT_API_KEYS) };

  const readBatch = async (id: string): Promise<Batch | null> => {
    const r = await fetch(`${audit}/v1/batches/${encodeURIComponent(id)}`, { headers: auditHeaders });
    if (r.status === 401)
      throw new SetupError(`the audit refused the key: ${await r.text()} (set AUDIT_API_KEYS for both)`);
    return r.ok ? ((await r.json()) as Batch) : null;
  };
  // A batch the audit already counted is this seed's and size's earlier run: sent again, it is the same
  // events, which the audit counts once, so its account is the earlier run's and measures nothing new.
  const earlier = await readBatch(syntheticBatchId(opts.seed, 1, opts.users));

  console.log(`\ningesting ${opts.users} synthetic users (seed "${opts.seed}")…`);
  const started = Date.now();
  const res = await fetch(`${ingestion}/v1/synthetic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ count: opts.users, seed: opts.seed }),
  });
  if (res.status !== 202) throw new SetupError(`ingestion answered ${res.status}: ${await res.text()}`);
  const { batchId } = (await res.json()) as { batchId: string };
  console.log(`batch ${batchId} accepted by Kafka after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  if (earlier) {
    console.log(
      `batch ${batchId} was ingested before (seed "${opts.seed}", ${opts.users} users): sent again, it is the ` +
        'same people under the same event ids and, within 24 h of its first run, the same event times, so ' +
        "Cassandra's cells and the audit's counts stay as they were (a person pushed since keeps the push); " +
        'after 24 h it is written again at new times. Use a new seed for new people.',
    );
  }

  const tty = process.stdout.isTTY;
  let batch: Batch | null = null;
  let lastPrint = 0;
  const deadline = Date.now() + opts.timeout * 1000;
  while (Date.now() < deadline) {
    batch = (await readBatch(batchId)) ?? batch;
    if (batch) {
      const settled = batch.persisted + batch.deadLettered;
      const total = batch.expected ?? opts.users;
      const line = `${bar(settled, total)} ${settled}/${total} settled · enriched ${batch.enriched} · persisted ${batch.persisted} · dead-lettered ${batch.deadLettered}`;
      if (tty) process.stdout.write(`\r${line}`);
      else if (Date.now() - lastPrint > 2000 || batch.complete) {
        console.log(line);
        lastPrint = Date.now();
      }
      if (batch.complete) break;
    }
    await sleep(200);
  }
  if (tty) process.stdout.write('\n');
  if (!batch?.complete) {
    throw new SetupError(
      `batch ${batchId} did not complete within ${opts.timeout}s (last: ${JSON.stringify(batch)}); ` +
        'see `npm run stack -- logs enrichment persistence audit`',
    );
  }

  const t = batch.timing;
  const ms = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v} ms`);
  // A rerun's events are the earlier run's, counted once: the audit holds one arrival of each, raw and
  // persisted from either pass, so a time between them says nothing about this run.
  const timing = earlier
    ? `  timing          not measured: the batch ran before, and the audit counts its events once`
    : `  throughput      ${t?.throughputPerSec ?? 'n/a'} users/s (first ingest → last persisted)
  latency         p50 ${ms(t?.latencyMs.p50)} · p95 ${ms(t?.latencyMs.p95)} · p99 ${ms(t?.latencyMs.p99)} (ingest → persisted)`;
  console.log(`
SparkFlow run ${earlier ? 'repeated' : 'complete'} — batch ${batchId}
  ingested        ${batch.ingested}
  enriched        ${batch.enriched}
  persisted       ${batch.persisted}   (Cassandra ${cfg.CASSANDRA_KEYSPACE}.users, one row per login.uuid)
  dead-lettered   ${batch.deadLettered}   (users.dlq, each with its reasons)
${timing}

Look it up (the CLI sends the first of AUDIT_API_KEYS to the audit, as the services read it):
  npx sparkflow users get ${batch.sampleUserId ?? '<userId>'}     # the Cassandra row and the audit's history
  npx sparkflow batches get ${batchId}
  curl -s -H "x-api-key: <a key of AUDIT_API_KEYS>" ${audit}/v1/batches/${batchId}
The stack keeps running; stop it with: npm run stack -- down`);
}

main().catch((err: unknown) => {
  console.error(`sparkflow: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
