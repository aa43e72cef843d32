import { execFile } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');

/**
 * `utcDay` and the driver's `LocalDate.fromDate` of each instant (ms), as text, in a Node process whose time
 * zone is `tz` (a zone is fixed when a process starts, so each is its own process).
 */
function daysIn(tz: string, instants: number[]): Promise<{ utc: string[]; local: string[] }> {
  const script =
    `const { types } = require('cassandra-driver');` +
    `const { utcDay } = require(${JSON.stringify(join(__dirname, 'users.repository.ts'))});` +
    `const ms = JSON.parse(process.argv[1]).map((t) => new Date(t));` +
    `process.stdout.write(JSON.stringify({ utc: ms.map((d) => utcDay(d).toString()),` +
    ` local: ms.map((d) => types.LocalDate.fromDate(d).toString()) }));`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-r', join(ROOT, 'node_modules/@swc-node/register/index.js'), '-e', script, JSON.stringify(instants)],
      { env: { ...process.env, TZ: tz, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

describe('utcDay', () => {
  const instants = fc.sample(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }), {
    seed: 11,
    numRuns: 200,
  });
  const isoDays = instants.map((ms) => new Date(ms).toISOString().slice(0, 10));

  it.each(['UTC', 'America/New_York', 'Asia/Kolkata', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'])(
    'is the UTC day of any instant on a host in %s',
    async (tz) => {
      expect((await daysIn(tz, instants)).utc).toEqual(isoDays);
    },
  );

  it("differs from the driver, which takes the host's local day, where the two days differ", async () => {
    const lateUtc = Date.parse('2026-11-25T03:00:00.000Z'); // 22:00 on the 24th in New York
    expect(await daysIn('America/New_York', [lateUtc])).toEqual({
      utc: ['2026-11-25'],
      local: ['2026-11-24'],
    });
    const earlyUtc = Date.parse('2026-11-25T20:00:00.000Z'); // the 26th at UTC+14
    expect(await daysIn('Pacific/Kiritimati', [earlyUtc])).toEqual({
      utc: ['2026-11-25'],
      local: ['2026-11-26'],
    });
  });
});
