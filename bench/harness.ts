/**
 * The timing harness: measures contenders side by side, in one process and under the same conditions.
 * Every contender is warmed up, then measured in rounds; within each round every contender runs for the
 * same wall-clock slice, in an order that rotates from round to round, so drift (thermal, GC, a busy
 * neighbour, a growing WAL) spreads over all of them. The result is the median of the rounds in ops/s.
 *
 * Rounds are added (up to `maxRounds`) until every figure is known to within `targetSpread`: each
 * contender's rate, and every ratio between two contenders, computed round by round (paired, so drift
 * that hits both cancels). "Known to within" is the half-width of a distribution-free ~95 % confidence
 * interval for the median (order statistics, normal approximation of the binomial), relative to it.
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
  /** Measured rounds at least; the reported rate is their median. */
  readonly rounds: number;
  /** Measured rounds at most, while some figure is still less certain than `targetSpread`. */
  readonly maxRounds: number;
  /** Wanted confidence half-width of every rate and ratio, relative (0.1 = ±10 %). */
  readonly targetSpread: number;
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
  /** Confidence half-width of the median rate, relative to it (see `medianSpread`). */
  readonly spread: number;
  /** Operations run while measuring (warm-up excluded). */
  readonly operations: number;
}

/** Defaults sized so the whole `npm run bench` stays within a few minutes on two cores. */
export const DEFAULT_MEASURE: MeasureOptions = Object.freeze({
  rounds: 9,
  maxRounds: 41,
  targetSpread: 0.1,
  roundMs: 200,
  warmupMs: 150,
  concurrency: 1,
});

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

/** The median of `values` and the relative half-width of its ~95 % confidence interval. */
export function medianSpread(values: readonly number[]): { median: number; spread: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const middle = n >> 1;
  const median = n % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  // Ranks k and n + 1 − k bound the median with ~95 % confidence (binomial, normal approximation).
  const k = Math.max(1, Math.floor((n + 1) / 2 - 0.98 * Math.sqrt(n)));
  const low = sorted[k - 1]!;
  const high = sorted[n - k]!;
  return { median, spread: (high - low) / 2 / median };
}

/** Round-by-round ratios of two contenders' rates: paired, so drift that slows both cancels. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((rate, round) => rate / b[round]!);
}

/** The largest spread among every contender's rate and every ratio between two contenders. */
function worstSpread(runners: readonly Runner[]): number {
  let worst = 0;
  for (let i = 0; i < runners.length; i++) {
    worst = Math.max(worst, medianSpread(runners[i]!.rates).spread);
    for (let j = 0; j < i; j++) worst = Math.max(worst, medianSpread(pairedRatios(runners[i]!.rates, runners[j]!.rates)).spread);
  }
  return worst;
}

/**
 * Measures `contenders` side by side and returns one measurement per contender, in the given order.
 * @example
 * const [raw, lib] = await compare([{ name: 'raw', run: (i) => stmt.get(key(i)) }, { name: 'lib', run: (i) => scope.get(key(i)) }]);
 */
export async function compare(contenders: readonly Contender[], options: Partial<MeasureOptions> = {}): Promise<Measurement[]> {
  const { rounds, maxRounds, targetSpread, roundMs, warmupMs, concurrency } = { ...DEFAULT_MEASURE, ...options };
  const runners: Runner[] = contenders.map((contender) => ({ contender, batch: 1, next: 0, async: undefined, rates: [], operations: 0 }));
  for (const runner of runners) {
    const warm = await slice(runner, warmupMs, concurrency);
    tune(runner, warm.operations, warm.elapsedMs, concurrency);
  }
  for (let round = 0; round < Math.max(rounds, maxRounds); round++) {
    if (round >= rounds && worstSpread(runners) <= targetSpread) break;
    for (let k = 0; k < runners.length; k++) {
      const runner = runners[(round + k) % runners.length]!;
      const { operations, elapsedMs } = await slice(runner, roundMs, concurrency);
      runner.rates.push((operations * 1000) / elapsedMs);
      runner.operations += operations;
    }
  }
  return runners.map(({ contender, rates, operations }) => {
    const { median, spread } = medianSpread(rates);
    return { name: contender.name, opsPerSec: median, rounds: rates, spread, operations };
  });
}
