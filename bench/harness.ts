/**
 * The timing harness: measures contenders side by side, in one process and under the same conditions.
 * Every contender is warmed up, then measured in rounds; within each round every contender runs for the
 * same wall-clock slice, in an order that rotates from round to round, so drift (thermal, GC, a busy
 * neighbour, a growing WAL) spreads over all of them. The result is the median of the rounds in ops/s.
 * @module
 */
import { performance } from 'node:perf_hooks';

/** One operation; `i` counts the calls of this contender (use it to pick keys). May return a promise. */
export type Operation = (i: number) => unknown;

/** One way of doing the operation under test. */
export interface Contender {
  readonly name: string;
  readonly run: Operation;
}

/** How long and how hard to measure. */
export interface MeasureOptions {
  /** Measured rounds; the reported rate is their median. */
  readonly rounds: number;
  /** Wall-clock time each contender runs in each round, in ms. */
  readonly roundMs: number;
  /** Wall-clock time each contender runs before the first round, unmeasured, in ms. */
  readonly warmupMs: number;
  /** Concurrent callers, each awaiting its own operations one after the other; 1 means sequential. */
  readonly concurrency: number;
}

/** What was measured for one contender. */
export interface Measurement {
  readonly name: string;
  /** Median of the rounds, in operations per second. */
  readonly opsPerSec: number;
  /** The rate of each round, in ops/s, in round order. */
  readonly rounds: readonly number[];
  /** (max − min) / median of the rounds: how noisy the measurement was. */
  readonly spread: number;
  /** Operations run while measuring (warm-up excluded). */
  readonly operations: number;
}

/** Defaults sized so the whole `npm run bench` stays within a few minutes on two cores. */
export const DEFAULT_MEASURE: MeasureOptions = Object.freeze({ rounds: 7, roundMs: 200, warmupMs: 150, concurrency: 1 });

const isPromise = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/** State of one contender across the warm-up and the rounds. */
interface Runner {
  readonly contender: Contender;
  /** Calls between two clock reads, tuned during warm-up so a batch lasts about a millisecond. */
  batch: number;
  /** Next value of `i`. */
  next: number;
  /** Whether the operation returned a promise on its first call. */
  async: boolean | undefined;
  readonly rates: number[];
  operations: number;
}

/**
 * Runs one contender for about `ms` and returns how many operations completed and in how long.
 * Synchronous operations run in a tight loop (awaiting them would measure the microtask queue, not the
 * operation); asynchronous ones are awaited one after the other by each of `concurrency` callers.
 */
async function slice(runner: Runner, ms: number, concurrency: number): Promise<{ operations: number; elapsedMs: number }> {
  const { run } = runner.contender;
  if (runner.async === undefined) {
    const first = run(runner.next++);
    runner.async = isPromise(first);
    if (runner.async) await first;
  }
  const start = performance.now();
  const deadline = start + ms;
  let operations = 0;
  if (!runner.async && concurrency === 1) {
    for (;;) {
      for (let k = 0; k < runner.batch; k++) run(runner.next++);
      operations += runner.batch;
      if (performance.now() >= deadline) break;
    }
  } else {
    const caller = async () => {
      for (;;) {
        for (let k = 0; k < runner.batch; k++) await run(runner.next++);
        operations += runner.batch;
        if (performance.now() >= deadline) return;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, caller));
  }
  return { operations, elapsedMs: performance.now() - start };
}

/** Picks the batch size from a warm-up slice: about 1 ms of work between clock reads, at least 1. */
function tune(runner: Runner, operations: number, elapsedMs: number, concurrency: number): void {
  const perCallerPerMs = operations / concurrency / Math.max(elapsedMs, 1e-3);
  runner.batch = Math.max(1, Math.min(10_000, Math.floor(perCallerPerMs)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Measures `contenders` side by side and returns one measurement per contender, in the given order.
 * @example
 * const [raw, lib] = await compare([{ name: 'raw', run: (i) => stmt.get(key(i)) }, { name: 'lib', run: (i) => scope.get(key(i)) }]);
 */
export async function compare(contenders: readonly Contender[], options: Partial<MeasureOptions> = {}): Promise<Measurement[]> {
  const { rounds, roundMs, warmupMs, concurrency } = { ...DEFAULT_MEASURE, ...options };
  const runners: Runner[] = contenders.map((contender) => ({ contender, batch: 1, next: 0, async: undefined, rates: [], operations: 0 }));
  for (const runner of runners) {
    const warm = await slice(runner, warmupMs, concurrency);
    tune(runner, warm.operations, warm.elapsedMs, concurrency);
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < runners.length; k++) {
      const runner = runners[(round + k) % runners.length]!;
      const { operations, elapsedMs } = await slice(runner, roundMs, concurrency);
      runner.rates.push((operations * 1000) / elapsedMs);
      runner.operations += operations;
    }
  }
  return runners.map(({ contender, rates, operations }) => {
    const opsPerSec = median(rates);
    return { name: contender.name, opsPerSec, rounds: rates, spread: (Math.max(...rates) - Math.min(...rates)) / opsPerSec, operations };
  });
}
