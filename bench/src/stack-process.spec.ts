import { baseName, cpuMsPerRecord, sumByBase } from './stack-process';

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
