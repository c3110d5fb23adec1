/**
 * Retrying after a conflict: how many times (validated), and how long to wait between attempts.
 * @module
 */
import { ValidationError } from './errors.js';

/** A retry count: an integer in 0..100; `fallback` when absent. */
export function retries(input: unknown, fallback: number): number {
  if (input === undefined) return fallback;
  if (typeof input !== 'number' || !Number.isInteger(input) || input < 0 || input > 100) {
    throw new ValidationError(`"retries" expected an integer in 0..100, got ${typeof input === 'number' ? input : typeof input}`);
  }
  return input;
}

/**
 * Waits before attempt `attempt + 1`: about 2^attempt ms (at most 100), jittered ±50 % so that callers
 * that collided do not collide again in step.
 */
export function backoff(attempt: number): Promise<void> {
  const delay = Math.min(2 ** attempt, 100) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, delay));
}
