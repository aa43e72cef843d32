import { closeSync, copyFileSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/** How often a supervisor looks at its service's log size. */
export const LOG_CHECK_EVERY_MS = 10_000;

/**
 * Keeps a log that a running service writes through an append-mode descriptor under `maxBytes`: once it is
 * over, its content goes to `<file>.1` (the one before is dropped) and the file is emptied in place, so a
 * stack left running keeps at most about twice that per service, the newest lines. Moving the file instead
 * would leave the service writing to it under its new name; emptied, the service's next append lands at its
 * start. What the service appends while the content is copied is copied after it; only what it appends
 * between that last read and the truncation, microseconds, is lost. `fd` is any descriptor of the file.
 * Returns the bytes moved aside, 0 when the file was under the cap.
 */
export function rotateLogIfOver(file: string, fd: number, maxBytes: number): number {
  if (fstatSync(fd).size <= maxBytes) return 0;
  copyFileSync(file, `${file}.1`);
  const previous = openSync(`${file}.1`, 'a');
  const current = openSync(file, 'r');
  try {
    let moved = fstatSync(previous).size;
    const chunk = Buffer.alloc(64 * 1024);
    for (let n; (n = readSync(current, chunk, 0, chunk.length, moved)) > 0; moved += n)
      writeSync(previous, chunk, 0, n);
    ftruncateSync(fd, 0);
    return moved;
  } finally {
    closeSync(current);
    closeSync(previous);
  }
}
