/**
 * Printing: aligned tables of measurements with ratios against a baseline, PASS/MISS lines for the
 * targets, and a description of the machine the numbers came from.
 * @module
 */
import os from 'node:os';
import { DEFAULT_MEASURE, medianSpread, pairedRatios, type Measurement, type MeasureOptions } from './harness.js';

/** One column of a table: its header and which side its cells align to. */
export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `1234567.8` → `1,234,568`. */
export function count(value: number): string {
  return integer.format(value);
}

/** A rate in ops/s with thousands separators; below 100 ops/s with one decimal. */
export function rate(opsPerSec: number): string {
  return opsPerSec >= 100 ? integer.format(opsPerSec) : opsPerSec.toFixed(1);
}

/** Microseconds per operation at a rate, e.g. `2.41`. */
export function micros(opsPerSec: number): string {
  const us = 1e6 / opsPerSec;
  return us >= 1000 ? integer.format(us) : us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2);
}

/** A ratio such as `0.82×`. */
export function ratio(value: number): string {
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

/** How a table was measured, e.g. `ops/s, median of 9..41 rounds × 200 ms, sequential`. */
export function describeMeasure(measure: Partial<MeasureOptions>): string {
  const { rounds, maxRounds, roundMs, concurrency } = { ...DEFAULT_MEASURE, ...measure };
  const many = maxRounds > rounds ? `${rounds}..${maxRounds}` : `${rounds}`;
  return `ops/s, median of ${many} rounds × ${roundMs} ms, ${concurrency > 1 ? `${concurrency} concurrent callers` : 'sequential'}`;
}

/** `±7%`, with a `!` when it is wider than the harness's target. */
function plusMinus(spread: number): string {
  const text = `±${Math.round(spread * 100)}%`;
  return spread > DEFAULT_MEASURE.targetSpread ? `${text}!` : text;
}

/** Prints a titled table with aligned columns; `notes` go under it. */
export function printTable(title: string, columns: readonly Column[], rows: readonly (readonly string[])[], notes: readonly string[] = []): void {
  const widths = columns.map((column, c) => Math.max(column.header.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (columns[c]?.align === 'right' ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const body = [line(columns.map((column) => column.header)), line(widths.map((width) => '─'.repeat(width))), ...rows.map(line)];
  const rule = '─'.repeat(Math.max(title.length, ...body.map((text) => text.length)));
  const out = ['', title, rule, ...body];
  for (const note of notes) out.push(`  ${note}`);
  console.log(out.join('\n'));
}

/** One operation measured for several contenders, the first of which is the baseline of the ratios. */
export interface OperationResult {
  readonly operation: string;
  /** One per contender: a measurement, or the reason the contender cannot do this operation. */
  readonly measurements: readonly (Measurement | { readonly name: string; readonly reason: string })[];
}

const isMeasured = (m: OperationResult['measurements'][number]): m is Measurement => 'opsPerSec' in m;

/** `a`'s rate over `b`'s: the median of the round-by-round ratios, and its spread. */
export function pairedRatio(a: Measurement, b: Measurement): { ratio: number; spread: number } {
  const { median, spread } = medianSpread(pairedRatios(a.rounds, b.rounds));
  return { ratio: median, spread };
}

/**
 * Prints operations × contenders: ops/s, µs/op, the rate's spread, and the ratio to the first contender
 * with its own spread (round by round, paired). A `!` marks a spread wider than the harness's target.
 */
export function printComparison(title: string, results: readonly OperationResult[], notes: readonly string[] = []): void {
  const rows: string[][] = [];
  for (const { operation, measurements } of results) {
    const baseline = measurements[0];
    measurements.forEach((m, index) => {
      const name = index === 0 ? operation : '';
      if (!isMeasured(m)) {
        rows.push([name, m.name, 'n/a', '', '', '', m.reason]);
        return;
      }
      let vs = '';
      if (index > 0 && baseline && isMeasured(baseline)) {
        const paired = pairedRatio(m, baseline);
        vs = `${ratio(paired.ratio)} ${plusMinus(paired.spread)}`;
      }
      rows.push([name, m.name, rate(m.opsPerSec), micros(m.opsPerSec), plusMinus(m.spread), vs, '']);
    });
  }
  const vsHeader = `vs ${results[0]?.measurements[0]?.name ?? 'baseline'}`;
  printTable(
    title,
    [
      { header: 'operation' },
      { header: 'contender' },
      { header: 'ops/s', align: 'right' },
      { header: 'µs/op', align: 'right' },
      { header: 'spread', align: 'right' },
      { header: vsHeader, align: 'right' },
      { header: '' },
    ],
    rows,
    notes,
  );
}

/** The rate of a named contender in an operation's results, or `undefined` when it was not measured. */
export function rateOf(results: readonly OperationResult[], operation: string, contender: string): number | undefined {
  return measurementOf(results, operation, contender)?.opsPerSec;
}

function measurementOf(results: readonly OperationResult[], operation: string, contender: string): Measurement | undefined {
  const found = results.find((r) => r.operation === operation)?.measurements.find((m) => m.name === contender);
  return found && isMeasured(found) ? found : undefined;
}

/**
 * `contender`'s rate over `baseline`'s for one operation (the median of the paired round ratios), or
 * `undefined` when either was not measured.
 */
export function ratioOf(results: readonly OperationResult[], operation: string, contender: string, baseline: string): number | undefined {
  const a = measurementOf(results, operation, contender);
  const b = measurementOf(results, operation, baseline);
  return a && b ? pairedRatio(a, b).ratio : undefined;
}

/** A target checked against a measurement. */
export interface Target {
  readonly section: string;
  readonly target: string;
  /** The measured value as printed, e.g. `0.82×`. */
  readonly measured: string;
  readonly pass: boolean | null;
}

const targets: Target[] = [];

/** Records a target; `actual` and `threshold` are ratios, PASS when `actual >= threshold`; `undefined` → not measured. */
export function checkTarget(section: string, target: string, actual: number | undefined, threshold: number): Target {
  const result: Target =
    actual === undefined || !Number.isFinite(actual)
      ? { section, target, measured: 'n/a', pass: null }
      : { section, target, measured: ratio(actual), pass: actual >= threshold };
  targets.push(result);
  return result;
}

/** Records a target that is not a ratio: `measured` as it should print, and whether it holds. */
export function checkLimit(section: string, target: string, measured: string, pass: boolean): Target {
  const result: Target = { section, target, measured, pass };
  targets.push(result);
  return result;
}

/** Prints targets as a table: PASS, MISS, or n/a when the numbers were not there. */
export function printTargets(title: string, list: readonly Target[]): void {
  if (list.length === 0) return;
  printTable(
    title,
    [{ header: 'section' }, { header: 'target' }, { header: 'measured', align: 'right' }, { header: 'result' }],
    list.map((t) => [t.section, t.target, t.measured, t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'MISS']),
  );
}

/** Every target recorded so far, in order. */
export function allTargets(): readonly Target[] {
  return targets;
}

/** Prints the machine and runtime the numbers come from. */
export function printMachine(extra: readonly [string, string][] = []): void {
  const cpus = os.cpus();
  const rows: [string, string][] = [
    ['node', `${process.version} (V8 ${process.versions.v8})`],
    ['cpu', `${cpus[0]?.model.trim() ?? 'unknown'} × ${cpus.length} (available parallelism ${os.availableParallelism()})`],
    ['memory', `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['os', `${os.type()} ${os.release()} ${os.arch()}`],
    ...extra,
  ];
  printTable('machine', [{ header: 'what' }, { header: 'value' }], rows);
}

/** Prints why a section (or part of one) did not run. */
export function printSkipped(what: string, reason: string): void {
  console.log(`\n${what}: skipped: ${reason}`);
}

/** The first line of an error's message, for "skipped: …" lines. */
export function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
