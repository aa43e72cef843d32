/// <reference types="jest" />
// Used only by specs; the reference gives every project that compiles this lib the jest globals it calls.

export interface ServiceConfigCases<T> {
  /** What an empty environment gives: the local stack's settings. */
  defaults: Partial<T>;
  /** An environment with bad values, and what the error must say about each. */
  invalid: { env: Record<string, string>; says: RegExp[] };
}

/**
 * The cases every service's `<app>.config.ts` must pass, plus the service's own in `more`
 * (given a loader that reads only the environment it is handed).
 */
export function describeServiceConfig<T>(
  service: string,
  /** The config's `validate` (what `ConfigModule.forRoot` calls), handed exactly the environment under test. */
  validate: (raw: Record<string, unknown>) => T,
  cases: ServiceConfigCases<T>,
  more?: (loadWith: (env: Record<string, string>) => T) => void,
): void {
  describe(`${service} configuration`, () => {
    it('defaults to the local stack', () => {
      expect(validate({})).toMatchObject(cases.defaults);
    });

    it('stops at boot naming each bad variable and what it expects', () => {
      for (const says of cases.invalid.says) expect(() => validate(cases.invalid.env)).toThrow(says);
    });

    more?.((env) => validate(env));
  });
}
