/**
 * The shape every server section shares (postgres, pglite, mysql): the four operations measured for
 * raw driver, library and Keyv, sequentially and with concurrent callers, printed with the targets
 * "library ≥ 0.9× raw driver" and "library ahead of Keyv".
 * @module
 */
import type { MeasureOptions } from './harness.js';
import { measureOperations, OP, type Store } from './operations.js';
import { checkTarget, count, describeMeasure, printComparison, printTargets, ratioOf, type Target } from './report.js';

/** What a server section measures. */
export interface ServerSection {
  /** e.g. `postgres 15.4`. */
  readonly title: string;
  /** Raw driver first (the baseline), then the library, then Keyv when there is an adapter. */
  readonly stores: readonly Store[];
  readonly raw: string;
  readonly library: string;
  readonly keyv?: string;
  /** The minimal key-value table on the same driver, when the section has one (get and upsert only). */
  readonly minimal?: string;
  readonly keys: readonly string[];
  /** Callers at once, e.g. `[1, 16]`. */
  readonly concurrencies: readonly number[];
  readonly notes: readonly string[];
}

/** Measures and prints one table per concurrency, then the section's targets. */
export async function runServerSection(section: ServerSection, measure: Partial<MeasureOptions>): Promise<void> {
  const targets: Target[] = [];
  for (const concurrency of section.concurrencies) {
    const options = { ...measure, concurrency };
    const results = await measureOperations(section.stores, section.keys, options);
    printComparison(`${section.title} · ${count(section.keys.length)} keys · ${describeMeasure(options)}`, results, section.notes);
    const label = `${section.title.split(' ')[0]} ${concurrency === 1 ? 'sequential' : `×${concurrency}`}`;
    for (const operation of Object.values(OP)) {
      targets.push(checkTarget(label, `${operation}: library ≥ 0.9× raw`, ratioOf(results, operation, section.library, section.raw), 0.9));
      if (section.keyv) {
        targets.push(checkTarget(label, `${operation}: library ahead of Keyv`, ratioOf(results, operation, section.library, section.keyv), 1));
      }
    }
    if (section.minimal) {
      for (const [operation, threshold] of [[OP.get, 0.8], [OP.upsert, 0.5]] as const) {
        const measured = ratioOf(results, operation, section.library, section.minimal);
        targets.push(checkTarget(label, `${operation}: library ≥ ${threshold}× ${section.minimal}`, measured, threshold));
      }
    }
  }
  printTargets(`${section.title.split(' ')[0]} targets`, targets);
}
