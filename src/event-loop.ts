/**
 * Batch jobs (rotation, export, cleanup) give the event loop a turn between batches.
 * @module
 */

/**
 * Lets the event loop run (timers, I/O, signal handlers) before resolving: over a synchronous driver
 * (better-sqlite3) every await of a batch job resolves at once, and the job would hold the host's
 * loop to its end.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
