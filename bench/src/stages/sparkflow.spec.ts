import { latencyLoad } from './sparkflow';

describe('latencyLoad', () => {
  it('offers half the saturated rate by default', () => {
    expect(latencyLoad(null, 1217)).toEqual({ targetPerSec: 609, fixedRate: false, ofSaturated: 0.5 });
  });

  it('offers the rate --latency-rate set, and says what share of the maximum it was', () => {
    expect(latencyLoad(500, 1250)).toEqual({ targetPerSec: 500, fixedRate: true, ofSaturated: 0.4 });
    expect(latencyLoad(500, 400)).toEqual({ targetPerSec: 500, fixedRate: true, ofSaturated: 1.25 });
  });

  it('offers at least one user a second when nothing was measured', () => {
    expect(latencyLoad(null, 0)).toEqual({ targetPerSec: 1, fixedRate: false, ofSaturated: 0 });
  });
});
