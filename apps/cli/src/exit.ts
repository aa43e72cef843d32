import type { Writable } from 'node:stream';

/**
 * Ends the process with `code` once everything written to `streams` has been handed to the OS. A bare
 * `process.exit` drops what a pipe has not taken yet (stdout to a pipe is asynchronous: a `--json` list
 * piped into `wc -c` stopped at 64 KiB); exiting explicitly still matters, as kafkajs and the Cassandra
 * driver keep sockets and timers that would hold the process open.
 */
export function exitWhenFlushed(
  code: number,
  streams: readonly Writable[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (c) => process.exit(c),
): Promise<void> {
  process.exitCode = code;
  const flushed = (s: Writable) =>
    new Promise<void>((resolve) => {
      if (s.destroyed || s.writableEnded) return resolve();
      // An empty write calls back once every earlier write has been flushed (or failed, e.g. EPIPE).
      s.write('', () => resolve());
    });
  return Promise.all(streams.map(flushed)).then(() => exit(code));
}

/**
 * Ends the process quietly when the reader of stdout or stderr has gone (`sparkflow topics list | head`):
 * nothing more can be delivered, so the command stops, as it would on SIGPIPE, without a stack trace.
 */
export function exitOnClosedPipe(
  streams: readonly Writable[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (c) => process.exit(c),
): void {
  for (const s of streams)
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      else throw err;
    });
}
