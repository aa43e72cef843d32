import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';

@Module({})
class ServiceConfigModule {}

/**
 * A service's configuration: `ConfigModule.forRoot({ validate })` parses the environment once through the
 * service's zod schema (a bad or missing variable stops the boot naming it), and the very object it
 * returned is provided, typed and frozen, under the service's `token` in every module.
 */
export function serviceConfigModule<C extends object>(
  token: symbol,
  validate: (raw: Record<string, unknown>) => C,
): DynamicModule {
  let parsed: C | undefined;
  return {
    module: ServiceConfigModule,
    global: true,
    imports: [
      // The environment only: a stray .env file in the working directory must not configure a service.
      ConfigModule.forRoot({ ignoreEnvFile: true, validate: (raw) => (parsed = validate(raw)) }),
    ],
    providers: [
      {
        provide: token,
        useFactory: (): C => {
          if (!parsed) throw new Error(`configuration ${token.description ?? ''} was not validated`);
          return parsed;
        },
      },
    ],
    exports: [token],
  };
}
