/**
 * Loads @nestjs/common with its console logger's date format built on first use instead of at load.
 *
 * The console logger's module builds an `Intl.DateTimeFormat` as it loads, for the timestamps of a logger
 * every SparkFlow service replaces with pino at start (`service-logger.ts`): Nest formats with it only if it
 * logs before pino is installed. Building one reads ICU's locale data out of the `node` binary, 5.4 MB of
 * its pages that then stay resident in every service ([2026-12-02-rss.md](../../../../../bench/results/2026-12-02-rss.md)).
 *
 * Only the formatters made while @nestjs/common loads are deferred: `Intl.DateTimeFormat` is the platform's
 * own again before this module returns. This module must be the first to load @nestjs/common, which is
 * why it is the first import of the library's index, and every service's entry point imports the library
 * before anything else that loads Nest.
 */
type DateTimeFormatConstructor = typeof Intl.DateTimeFormat;

/** A constructor whose instances build the real formatter the first time one of its members is read. */
export function deferredDateTimeFormat(Real: DateTimeFormatConstructor): DateTimeFormatConstructor {
  function DeferredDateTimeFormat(
    locales?: string | readonly string[],
    options?: Intl.DateTimeFormatOptions,
  ): Intl.DateTimeFormat {
    let built: Intl.DateTimeFormat | undefined;
    const real = () => (built ??= new Real(locales as string | string[] | undefined, options));
    return new Proxy(Object.create(Real.prototype) as Intl.DateTimeFormat, {
      get(_target, key) {
        const formatter = real();
        const value: unknown = Reflect.get(formatter, key, formatter);
        return typeof value === 'function' ? value.bind(formatter) : value;
      },
    });
  }
  return DeferredDateTimeFormat as unknown as DateTimeFormatConstructor;
}

/** Requires @nestjs/common (once per module registry) with deferred date formats; a no-op once it is loaded. */
export function loadNestWithDeferredDateFormat(): void {
  const Real = Intl.DateTimeFormat;
  Intl.DateTimeFormat = deferredDateTimeFormat(Real);
  try {
    require('@nestjs/common');
  } finally {
    Intl.DateTimeFormat = Real;
  }
}

loadNestWithDeferredDateFormat();
