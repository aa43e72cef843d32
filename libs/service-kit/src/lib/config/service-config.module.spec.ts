import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { parseEnv } from './service-env';
import { serviceConfigModule } from './service-config.module';

const CONFIG = Symbol('SPEC_CONFIG');
const Env = z.object({ SPEC_SERVICE_PORT: z.coerce.number().int().min(1).max(65535).default(3009) });
type SpecConfig = Readonly<z.infer<typeof Env>>;

@Injectable()
class NeedsConfig {
  constructor(@Inject(CONFIG) readonly config: SpecConfig) {}
}

/** Boots a module with `SPEC_SERVICE_PORT` set to `port` (or unset), counting the parses. */
async function boot(port: string | undefined) {
  const parsed: SpecConfig[] = [];
  const validate = (raw: Record<string, unknown>) => {
    const c = parseEnv('spec', Env, raw);
    parsed.push(c);
    return c;
  };
  const saved = process.env['SPEC_SERVICE_PORT'];
  if (port === undefined) delete process.env['SPEC_SERVICE_PORT'];
  else process.env['SPEC_SERVICE_PORT'] = port;
  try {
    // ConfigModule.forRoot validates when the module is declared, as a service's module file is imported.
    @Module({ imports: [serviceConfigModule(CONFIG, validate)], providers: [NeedsConfig] })
    class SpecModule {}
    const app = await Test.createTestingModule({ imports: [SpecModule] }).compile();
    return { config: app.get(NeedsConfig).config, parsed };
  } finally {
    if (saved === undefined) delete process.env['SPEC_SERVICE_PORT'];
    else process.env['SPEC_SERVICE_PORT'] = saved;
  }
}

describe('serviceConfigModule', () => {
  it('parses the environment once and injects that very object, typed and frozen', async () => {
    const { config, parsed } = await boot('4100');
    expect(config).toEqual({ SPEC_SERVICE_PORT: 4100 });
    expect(parsed).toHaveLength(1);
    expect(config).toBe(parsed[0]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('stops the boot naming the bad variable and what it expects', async () => {
    await expect(boot('http')).rejects.toThrow(
      /spec: invalid configuration\n {2}SPEC_SERVICE_PORT: .*number/,
    );
  });
});
