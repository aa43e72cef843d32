import type { ConsoleLogger } from '@nestjs/common';

/** Nest's console logger's own options: what its timestamps must still look like. */
const NEST_TIMESTAMP: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  day: '2-digit',
  month: '2-digit',
};

describe('loading @nestjs/common through service-kit', () => {
  const platform = Intl.DateTimeFormat;
  afterEach(() => {
    Intl.DateTimeFormat = platform;
  });

  it('builds no date format while Nest loads, gives the platform its own constructor back, and formats as Nest did on first use', () => {
    let built = 0;
    const counting = new Proxy(platform, {
      construct(target, args, newTarget) {
        built += 1;
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
    Intl.DateTimeFormat = counting;

    let logger: typeof ConsoleLogger | undefined;
    jest.isolateModules(() => {
      require('./nest-date-format');
      logger = (require('@nestjs/common') as typeof import('@nestjs/common')).ConsoleLogger;
    });

    expect(built).toBe(0);
    expect(Intl.DateTimeFormat).toBe(counting);

    const stamp = (
      new (logger as typeof ConsoleLogger)() as unknown as { getTimestamp(): string }
    ).getTimestamp();
    expect(built).toBe(1);
    const now = Date.now();
    const expected = [now - 1000, now, now + 1000].map((t) =>
      new platform(undefined, NEST_TIMESTAMP).format(t),
    );
    expect(expected).toContain(stamp);
  });

  it('reads every member of the real formatter through a deferred one', () => {
    const { deferredDateTimeFormat } = require('./nest-date-format') as typeof import('./nest-date-format');
    const Deferred = deferredDateTimeFormat(platform);
    const options: Intl.DateTimeFormatOptions = { timeZone: 'UTC', dateStyle: 'full', timeStyle: 'long' };
    const deferred = new Deferred('de-DE', options);
    const real = new platform('de-DE', options);
    const at = Date.UTC(2026, 1, 28, 23, 59, 59);
    expect(deferred.format(at)).toBe(real.format(at));
    expect(deferred.formatToParts(at)).toEqual(real.formatToParts(at));
    expect(deferred.resolvedOptions()).toEqual(real.resolvedOptions());
    expect(deferred.formatRange(at, at + 86_400_000)).toBe(real.formatRange(at, at + 86_400_000));
    expect(deferred).toBeInstanceOf(platform);
  });
});
