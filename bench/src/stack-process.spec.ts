import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseName, cpuMsPerRecord, meterEngine, sumByBase } from './stack-process';

function burn(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('baseName', () => {
  it('drops the node or replica number', () => {
    expect(baseName('kafka-2')).toBe('kafka');
    expect(baseName('ingestion-1')).toBe('ingestion');
  });

  it('keeps a name without a number, dashes included', () => {
    expect(baseName('postgres')).toBe('postgres');
    expect(baseName('haproxy')).toBe('haproxy');
    expect(baseName('spark-master')).toBe('spark-master');
  });
});

describe('sumByBase', () => {
  it("sums every node's and replica's figure into its base name", () => {
    expect(
      sumByBase({
        'kafka-1': 0.1,
        'kafka-2': 0.2,
        'kafka-3': 0.3,
        'ingestion-1': 0.05,
        'ingestion-2': 0.07,
        postgres: 0.4,
      }),
    ).toEqual({ kafka: 0.6, ingestion: 0.12, postgres: 0.4 });
  });

  it('counts a missing figure as 0', () => {
    expect(sumByBase({ 'audit-1': 0.5, 'audit-2': undefined })).toEqual({ audit: 0.5 });
  });
});

describe('cpuMsPerRecord', () => {
  it('turns CPU seconds over records into CPU-ms per record, to 3 decimals', () => {
    expect(cpuMsPerRecord(1.5, 3000)).toBe(0.5);
    expect(cpuMsPerRecord(1, 3)).toBe(333.333);
  });
});

describe('meterEngine', () => {
  it("counts the engine's CPU over the work, not the harness's", async () => {
    const home = await mkdtemp(join(tmpdir(), 'sparkflow-meter-'));
    // The "engine": a process that burns 600 ms of CPU when told to, then waits to be stopped. Counted in
    // CPU time, not wall time: on a busy machine 600 ms of wall clock can be far less CPU.
    const engine = spawn(
      process.execPath,
      [
        '-e',
        `process.stdin.once('data', () => { const t = process.cpuUsage(); const used = () => { const u = process.cpuUsage(t); return (u.user + u.system) / 1000; }; while (used() < 600); process.stdout.write('done'); })`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await mkdir(join(home, 'run'));
      await writeFile(join(home, 'run', 'kafka.pid'), String(engine.pid));
      const { result, engineCpuMsPerRecord } = await meterEngine(home, 'kafka', 2, async () => {
        const done = once(engine.stdout, 'data');
        engine.stdin.write('go');
        await done;
        burn(1500); // the harness's own work is not the engine's
        return 'written';
      });
      expect(result).toBe('written');
      expect(engineCpuMsPerRecord).toBeGreaterThanOrEqual(275); // 600 ms over 2 records, less a clock tick
      expect(engineCpuMsPerRecord).toBeLessThan(750);
    } finally {
      engine.kill();
      await rm(home, { recursive: true, force: true });
    }
  });
});
