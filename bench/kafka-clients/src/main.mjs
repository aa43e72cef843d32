// `npm run bench:kafka-clients [-- --messages N]`: kafkajs, @confluentinc/kafka-javascript and
// @platformatic/kafka on one users.raw-shaped workload against the running broker. See bench/README.md.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, hostname, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const CLIENTS = ['kafkajs', 'confluent', 'platformatic'];

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: CLIENTS.join(',') },
    brokers: { type: 'string', default: `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}` },
    'results-dir': { type: 'string', default: join(root, 'bench', 'results') },
    name: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    `bash bench/kafka-clients/run.sh [--messages N] [--runs R] [--clients ${CLIENTS.join(',')}] [--brokers host:port] [--results-dir DIR] [--name FILE_STEM]`,
  );
  process.exit(0);
}
const count = Number(args.messages);
const runs = Number(args.runs);
const clients = args.clients.split(',');
for (const c of clients)
  if (!CLIENTS.includes(c)) throw new Error(`unknown client ${c}; known: ${CLIENTS.join(', ')}`);

const SEED = 'kafka-clients';
const PARTITIONS = 6;
const PHASE_TIMEOUT_MS = 300_000;
const runId = `${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
const common = {
  brokers: args.brokers.split(','),
  sasl: benchLogin(),
  runId,
  partitions: PARTITIONS,
  messagesPerSend: 500,
  sendsInFlight: 4,
  // libs/kafka's BatchConsumer fetch limits, for every client.
  maxBytesPerPartition: 512 * 1024,
  maxBytes: 2 * 1024 * 1024,
  maxBatch: 500,
};

/** The repository's TypeScript libs, loaded through the same SWC register the tools use. */
function requireLib(name) {
  process.env.SWC_NODE_PROJECT = join(root, 'tsconfig.base.json');
  const require = createRequire(join(root, 'package.json'));
  require('@swc-node/register');
  return require(join(root, 'libs', name, 'src/index.ts'));
}

/**
 * Every client signs in as the bench's own Kafka principal (KAFKA_BENCH_PASSWORD, the stack's
 * development password by default), which may create, use and delete only `bench.` topics and groups.
 */
function benchLogin() {
  const { kafkaPrincipal, devKafkaPassword } = requireLib('contracts');
  const username = kafkaPrincipal('bench').user;
  return {
    mechanism: (process.env.KAFKA_SASL_MECHANISM ?? 'scram-sha-512').toLowerCase(),
    username,
    password: process.env.KAFKA_BENCH_PASSWORD ?? devKafkaPassword(username),
  };
}

/** users.raw envelopes as ingestion writes them: key login.uuid, the envelope as JSON, the four headers. */
function buildWorkload() {
  const { generateUsers } = requireLib('sources');
  const { HEADERS, SCHEMA_VERSION } = requireLib('contracts');
  const batchId = `bench-kafka-clients-${runId}`;
  const producedAt = new Date().toISOString();
  return generateUsers({ seed: SEED, count }).map((payload) => {
    const eventId = randomUUID();
    const event = {
      eventId,
      schemaVersion: SCHEMA_VERSION,
      source: 'synthetic',
      batchId,
      producedAt,
      payload,
    };
    return JSON.stringify({
      key: payload.login.uuid.toLowerCase(),
      value: JSON.stringify(event),
      headers: {
        [HEADERS.eventId]: eventId,
        [HEADERS.schemaVersion]: String(SCHEMA_VERSION),
        [HEADERS.source]: 'synthetic',
        [HEADERS.batchId]: batchId,
      },
    });
  });
}

function runPhase(client, phase, opts, dir) {
  const out = join(dir, `${client}-${phase}.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(here, 'run-phase.mjs'), client, phase, JSON.stringify(opts), out],
      {
        cwd: join(here, '..'),
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    // A consumer that never sees its last message would otherwise hang the run.
    const timer = setTimeout(() => child.kill('SIGKILL'), PHASE_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(readFile(out, 'utf8').then(JSON.parse));
      else reject(new Error(`${client} ${phase} exited with ${code ?? signal}`));
    });
  });
}

function version(pkg) {
  return JSON.parse(readFileSync(join(here, '..', 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

async function main() {
  const kafkajs = createRequire(join(root, 'package.json'))('kafkajs');
  const kafka = new kafkajs.Kafka({
    clientId: `bench-kc-admin-${runId}`,
    brokers: common.brokers,
    sasl: common.sasl,
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const dir = await mkdtemp(join(tmpdir(), 'sparkflow-kafka-clients-'));
  const started = new Date();
  const load1 = loadavg()[0];
  const results = {};
  const errors = {};
  try {
    console.log(`generating ${count} users (seed ${SEED}) …`);
    const lines = buildWorkload();
    const workload = join(dir, 'workload.jsonl');
    await writeFile(workload, lines.join('\n'));
    let bytes = 0;
    let recordBytes = 0;
    for (const line of lines) {
      const r = JSON.parse(line);
      bytes += Buffer.byteLength(r.value);
      recordBytes += Buffer.byteLength(r.value) + Buffer.byteLength(r.key);
      for (const [k, v] of Object.entries(r.headers))
        recordBytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    }
    // Each run takes the clients in a rotated order, so none always runs first on a cold broker.
    for (let run = 0; run < runs; run++) {
      const order = clients.map((_, i) => clients[(i + run) % clients.length]);
      for (const client of order) {
        if (errors[client]) continue;
        const topic = `bench.kafka-clients.${client}.${runId}.${run}`;
        await admin.createTopics({
          topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
          waitForLeaders: true,
        });
        try {
          const produce = await runPhase(client, 'produce', { ...common, topic, workload }, dir);
          const groupId = topic; // a `bench.` group, as the bench principal's ACLs require
          const consume = await runPhase(
            client,
            'consume',
            { ...common, topic, groupId, expected: count },
            dir,
          );
          (results[client] ??= []).push({ run, produce, consume });
          console.log(
            `run ${run + 1}/${runs} ${client}: produce ${fmt(rate(produce))} msgs/s, consume ${fmt(rate(consume))} msgs/s`,
          );
        } catch (err) {
          errors[client] = String(err?.message ?? err);
          console.error(`${client}: ${errors[client]}`);
        } finally {
          // Dropped at once: three clients' copies of the workload would otherwise sit on the broker's disk.
          await admin
            .deleteTopics({ topics: [topic] })
            .catch((err) => console.error(`could not delete ${topic}: ${err.message}`));
        }
      }
    }
    const report = {
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      messages: count,
      runs,
      seed: SEED,
      meanValueBytes: Math.round(bytes / count),
      meanRecordBytes: Math.round(recordBytes / count),
      settings: { ...common, brokers: undefined, runId: undefined, sasl: common.sasl.mechanism },
      clients: Object.fromEntries(
        CLIENTS.filter((c) => clients.includes(c)).map((c) => [c, summarise(results[c], errors[c])]),
      ),
      versions: {
        kafkajs: createRequire(join(root, 'package.json'))('kafkajs/package.json').version,
        confluent: safe(() => version('@confluentinc/kafka-javascript')),
        librdkafka: safe(
          () =>
            createRequire(join(here, '..', 'package.json'))('@confluentinc/kafka-javascript')
              .librdkafkaVersion,
        ),
        platformatic: safe(() => version('@platformatic/kafka')),
      },
      machine: {
        host: hostname(),
        cores: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        kernel: release(),
        node: process.version,
        kafka: kafkaVersion(),
        loadAverage1m: { start: Number(load1.toFixed(2)), end: Number(loadavg()[0].toFixed(2)) },
      },
      command: `bash bench/kafka-clients/run.sh ${process.argv.slice(2).join(' ')}`.trim(),
    };
    await mkdir(args['results-dir'], { recursive: true });
    const stem =
      args.name ??
      `${started.toISOString().slice(0, 10)}-kafka-clients${count === 100000 ? '' : `-${count}`}`;
    const base = join(args['results-dir'], stem);
    await writeFile(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
    await writeFile(`${base}.md`, markdown(report));
    console.log(`wrote ${relative(process.cwd(), base)}.{md,json}`);
    if (Object.keys(results).length === 0) process.exitCode = 1;
  } finally {
    await admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
}

function safe(fn) {
  try {
    return fn();
  } catch (err) {
    return `unavailable: ${err.message.split('\n')[0]}`;
  }
}

function kafkaVersion() {
  // The broker jars the stack runs; the broker API does not report its version.
  const m = /<kafka\.version>([^<]+)</.exec(readFileSync(join(root, 'deploy/local/kafka/pom.xml'), 'utf8'));
  return m ? m[1] : 'unknown';
}

const rate = (p) => Math.round(p.messages / (p.ms / 1000));
const per100k = (p) => Number(((p.cpuSeconds / p.messages) * 100_000).toFixed(2));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Medians over the runs (rates and CPU), the highest peak RSS, and every run as measured. */
function summarise(runsOf, error) {
  if (!runsOf?.length) return { error };
  const phase = (name) => {
    const ps = runsOf.map((r) => r[name]);
    const rates = ps.map(rate);
    return {
      msgsPerSec: Math.round(median(rates)),
      msgsPerSecRange: [Math.min(...rates), Math.max(...rates)],
      cpuSecondsPer100k: Number(median(ps.map(per100k)).toFixed(2)),
      peakRssMb: Math.max(...ps.map((p) => p.peakRssMb)),
    };
  };
  const consumes = runsOf.map((r) => r.consume);
  return {
    ...(error ? { error } : {}),
    produce: {
      ...phase('produce'),
      rssAfterWorkloadMb: Math.max(...runsOf.map((r) => r.produce.rssAfterWorkloadMb)),
    },
    consume: {
      ...phase('consume'),
      meanBatch: Math.round(median(consumes.map((c) => c.total / c.batches))),
      firstBatchMs: Math.round(median(consumes.map((c) => c.firstBatchMs))),
    },
    runs: runsOf,
  };
}

const fmt = (n) => n.toLocaleString('en-GB');

function markdown(r) {
  const range = (p) => `${fmt(p.msgsPerSec)} (${fmt(p.msgsPerSecRange[0])}–${fmt(p.msgsPerSecRange[1])})`;
  const rows = Object.entries(r.clients).map(([c, s]) =>
    s.produce
      ? `| ${c} | ${range(s.produce)} | ${s.produce.cpuSecondsPer100k} | ${s.produce.peakRssMb} MB (+${s.produce.peakRssMb - s.produce.rssAfterWorkloadMb}) | ${range(s.consume)} | ${s.consume.cpuSecondsPer100k} | ${s.consume.peakRssMb} MB | ${s.consume.meanBatch} | ${fmt(s.consume.firstBatchMs)} ms |${s.error ? ` failed: ${s.error}` : ''}`
      : `| ${c} | — | — | — | — | — | — | — | — | failed: ${s.error} |`,
  );
  const m = r.machine;
  return `# Kafka clients on one workload — ${fmt(r.messages)} messages

${fmt(r.messages)} users.raw envelopes (generateUsers, seed \`${r.seed}\`; mean value ${fmt(r.meanValueBytes)} B, ${fmt(r.meanRecordBytes)} B with key login.uuid and 4 headers), ${r.startedAt} → ${r.finishedAt}.
Each client produces into its own fresh 6-partition topic (idempotent, acks=all, no compression, ${r.settings.messagesPerSend} messages per send, ${r.settings.sendsInFlight} sends in flight), then a fresh group reads it from the beginning in partition batches and commits after each batch; the handler parses nothing. Each phase runs in its own process.

Figures are the median of ${r.runs} runs (range in brackets; the clients' order rotates each run). msgs/s counts the timed messages: produce after a one-message warm-up, consume from the first committed batch to the last, so joining the group is not in the rate (its wait is the last column). CPU is \`process.cpuUsage()\` of the client's process over the timed phase (every thread, so librdkafka's too) per 100,000 messages. Peak RSS is the process's high-water mark; the producer's holds the ${fmt(r.messages)} records, and (+n) is what the client added on top of them.

| client | produce msgs/s | produce CPU s / 100k | produce peak RSS | consume msgs/s | consume CPU s / 100k | consume peak RSS | mean batch | first batch after |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Every consumer fetches at most ${r.settings.maxBytesPerPartition / 1024} KB per partition and ${r.settings.maxBytes / 1024 / 1024} MB per request (libs/kafka's BatchConsumer limits) and waits at most 250 ms per fetch.
- **kafkajs**: libs/kafka's settings: \`eachBatch\`, \`partitionsConsumedConcurrently: ${r.settings.partitions}\`, \`resolveOffset\` + \`commitOffsets\` per batch; producer \`idempotent\`, \`maxInFlightRequests: 5\`, \`acks: -1\` per send.
- **confluent**: its KafkaJS-compatible API (\`KafkaJS.Kafka\`) with the same calls; \`acks\`, compression and \`fromBeginning\` are per client there, and \`eachBatch\` holds at most \`js.consumer.max.batch.size\` messages (default 32, set to ${r.settings.maxBatch}). librdkafka's own producer batching (\`linger.ms\`) and prefetch queue keep their defaults. Built from the npm tarball with \`CKJS_LINKING=dynamic\` (see bench/kafka-clients/run.sh): the bundled librdkafka against the system's zlib and OpenSSL (SCRAM logins work; no zstd, curl or Cyrus SASL).
- **platformatic**: no \`eachBatch\`; one message stream, cut into runs of one partition's records (at most ${r.settings.maxBatch}, or where the stream's buffer runs dry), each committed once and awaited before the next, so batches are handled one at a time. It declares node ≥ 22.22, which SparkFlow's node 24 meets.

Versions: kafkajs ${r.versions.kafkajs}, @confluentinc/kafka-javascript ${r.versions.confluent} (librdkafka ${r.versions.librdkafka}), @platformatic/kafka ${r.versions.platformatic}.

Machine: ${m.host}, ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB, Linux ${m.kernel}; node ${m.node}, Kafka ${m.kafka} on the same machine. Load average (1 min) ${m.loadAverage1m.start} at start, ${m.loadAverage1m.end} at end.

Command: \`${r.command}\`
`;
}

await main();
