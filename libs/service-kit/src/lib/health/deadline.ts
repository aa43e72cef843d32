/** Raised by `withDeadline` when the work did not settle in time; its message says what and how long. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/**
 * `work`'s outcome if it settles within `ms`, otherwise a `DeadlineExceeded` with `message`. The work is
 * not cancelled: whoever started it cleans up after it once it settles. The timer is cleared as soon as
 * either side wins, so nothing is left on the event loop.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
