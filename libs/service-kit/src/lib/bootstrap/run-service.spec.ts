import { EXIT_INVALID_CONFIGURATION } from '@sparkflow/contracts';
import { z } from 'zod';
import { InvalidConfigurationError, parseEnv } from '../config/service-env';
import { exitCodeOf } from './run-service';

describe('a service that cannot start', () => {
  it('exits with EXIT_INVALID_CONFIGURATION for settings it refuses, which its supervisor does not restart', () => {
    let refused: unknown;
    try {
      parseEnv('svc', z.object({ PORT: z.coerce.number().int() }), { PORT: 'eighty' });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(InvalidConfigurationError);
    expect((refused as Error).message).toMatch(/^svc: invalid configuration\n {2}PORT: /);
    expect(exitCodeOf(refused)).toBe(EXIT_INVALID_CONFIGURATION);
  });

  it('exits 1 for any other failure, which its supervisor restarts', () => {
    expect(exitCodeOf(new Error('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(1);
    expect(exitCodeOf('a string thrown')).toBe(1);
  });
});
