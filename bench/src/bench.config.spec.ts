import { BenchUsageError, benchOptions } from './bench.config';

describe('benchOptions', () => {
  it('leaves the cluster stage out unless --cluster asks for it', () => {
    expect(benchOptions([], {}).cluster).toBe(false);
    expect(benchOptions(['--cluster', '--quick'], {}).cluster).toBe(true);
  });

  it('skips the baseline with kafka-limit, whose topic it reads', () => {
    expect([...benchOptions(['--skip', 'kafka-limit'], {}).skip].sort()).toEqual(['baseline', 'kafka-limit']);
  });

  it('names the stage it does not know', () => {
    expect(() => benchOptions(['--skip', 'cluster'], {})).toThrow(BenchUsageError);
    expect(() => benchOptions(['--skip', 'cluster'], {})).toThrow(/unknown stage cluster/);
  });

  it('offers 50 % of the measured maximum unless --latency-rate sets the rate', () => {
    expect(benchOptions([], {}).latencyRate).toBeNull();
    expect(benchOptions(['--latency-rate', '400'], {}).latencyRate).toBe(400);
    expect(() => benchOptions(['--latency-rate', '0'], {})).toThrow(
      /--latency-rate must be a positive integer, got 0/,
    );
    expect(() => benchOptions(['--latency-rate', '2.5'], {})).toThrow(/got 2\.5/);
  });
});
