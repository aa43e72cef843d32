// One client, one phase, in a process of its own, so no two clients share a heap or a libuv pool:
//   node run-phase.mjs <client> <produce|consume> <options json> <result file>
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

const [clientName, phase, optionsJson, resultFile] = process.argv.slice(2);
const opts = JSON.parse(optionsJson);
const loadClient = () => import(`./clients/${clientName}.mjs`);

const cpuSeconds = (since) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function produce() {
  // Line by line, so the high-water mark is the records themselves, not the file as one string besides them.
  const records = [];
  for await (const line of createInterface({ input: createReadStream(opts.workload), crlfDelay: Infinity })) {
    if (line) records.push(JSON.parse(line));
  }
  const rssAfterWorkloadMb = peakRssMb();
  const client = await loadClient();
  const producer = await client.openProducer(opts);
  const messages = producer.prepare(records, opts.topic);
  // Warm-up outside the timing: metadata, the producer id and a connection to every leader.
  const [first, ...rest] = messages;
  await producer.send(opts.topic, [first]);
  const sends = [];
  for (let i = 0; i < rest.length; i += opts.messagesPerSend)
    sends.push(rest.slice(i, i + opts.messagesPerSend));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < sends.length) await producer.send(opts.topic, sends[next++]);
  };
  await Promise.all(Array.from({ length: opts.sendsInFlight }, worker));
  const ms = performance.now() - t0;
  const cpu = cpuSeconds(cpu0);
  await producer.close();
  return { messages: rest.length, ms, cpuSeconds: cpu, peakRssMb: peakRssMb(), rssAfterWorkloadMb };
}

async function consume() {
  const total = opts.expected;
  let seen = 0;
  let batches = 0;
  let firstBatch = 0;
  let t0 = 0;
  let cpu0;
  const client = await loadClient();
  const tStart = performance.now();
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  // Timed from the first committed batch: joining a fresh group costs the same broker-side wait for every client.
  const session = await client.consume(opts, opts.topic, (size) => {
    if (batches === 0) {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
      firstBatch = size;
    }
    batches++;
    seen += size;
    if (seen >= total) done();
  });
  await finished;
  const ms = performance.now() - t0;
  const cpu = cpuSeconds(cpu0);
  await session.close();
  return {
    messages: seen - firstBatch,
    total: seen,
    ms,
    cpuSeconds: cpu,
    firstBatchMs: t0 - tStart,
    batches,
    peakRssMb: peakRssMb(),
  };
}

const result = phase === 'produce' ? await produce() : await consume();
await writeFile(resultFile, JSON.stringify(result));
process.exit(0);
