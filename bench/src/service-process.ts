import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SERVICES = ['ingestion', 'enrichment', 'persistence', 'audit'] as const;
export type Service = (typeof SERVICES)[number];

// USER_HZ: Linux reports utime/stime in 1/100 s on every architecture Node runs on.
const TICKS_PER_SECOND = 100;

/** A running service, found by the pid file `npm run stack` writes, read through /proc. */
export class ServiceProcess {
  private constructor(
    readonly service: Service,
    readonly pid: number,
  ) {}

  static async find(home: string, service: Service): Promise<ServiceProcess> {
    const file = join(home, 'run', `${service}.pid`);
    const pid = Number((await readFile(file, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid < 1) throw new Error(`${file} holds no pid`);
    const p = new ServiceProcess(service, pid);
    await p.cpuSeconds(); // throws when the process is gone
    return p;
  }

  /** utime + stime of the process (all its threads), in seconds. */
  async cpuSeconds(): Promise<number> {
    const stat = await readFile(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after "(comm)", which may itself contain spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  }

  /** Peak resident set (VmHWM) in MB since start, or since the last resetPeak(). */
  async peakRssMb(): Promise<number> {
    return this.statusKb('VmHWM').then((kb) => Math.round(kb / 1024));
  }

  async rssMb(): Promise<number> {
    return this.statusKb('VmRSS').then((kb) => Math.round(kb / 1024));
  }

  /** Resets VmHWM to the current RSS ("5" in clear_refs); false when the kernel or permissions refuse. */
  async resetPeak(): Promise<boolean> {
    try {
      await writeFile(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  private async statusKb(field: string): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${field} in /proc/${this.pid}/status`);
    return Number(m[1]);
  }
}
