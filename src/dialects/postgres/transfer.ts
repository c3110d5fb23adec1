/**
 * The PostgreSQL dialect's export, import and stats operations (postgres.js and PGlite alike):
 * whole-table maintenance, each call one statement or one transaction.
 * @module
 */
import { inArray, sql, type SQL } from 'drizzle-orm';
import type { Dialect, ExportedRow, ImportConflict, ImportedRow, ImportOutcome, RowSet, ScopeStatsRow } from '../../dialect.js';
import { expiredAt, inRowSet, rowSetParams } from '../shared/lifecycle.js';
import {
  exportedAfter,
  exportedRowColumns,
  exportOrder,
  importAction,
  importedRow,
  importOutcome,
  ofExtension,
  sameEntry,
  sameEntryParams,
  sortedStats,
  statsColumns,
  statsGrouping,
} from '../shared/transfer-statements.js';
import type { AnyPgDatabase } from './pg-database.js';
import { extensionStorage as t } from './schema.js';

type Run = <T>(operation: string, body: () => Promise<T>) => Promise<T>;
const name = (statement: string) => `extension_storage_${statement}`;

/** The statements of an export, prepared once per dialect (one per filter shape). */
function prepareExports(db: AnyPgDatabase) {
  const shape = (byExtension: boolean) =>
    db
      .select(exportedRowColumns(t))
      .from(t)
      .where(exportedAfter(t, byExtension))
      .orderBy(exportOrder(t))
      .limit(sql.placeholder('limit'))
      .prepare(name(byExtension ? 'export_extension' : 'export_all'));
  return { all: shape(false), extension: shape(true) };
}

/** The statements of one import transaction, on that transaction's connection. */
function prepareImport(tx: AnyPgDatabase) {
  return {
    find: tx.select({ id: t.id }).from(t).where(sameEntry(t)).prepare(name('import_find')),
    insert: tx.insert(t).values(importedRow(t)).prepare(name('import_insert')),
  };
}

/** The `exportRows`, `importRows` and `stats` of a pg dialect over `db`, errors wrapped by `run`. */
export function transferOperations(db: AnyPgDatabase, run: Run): Pick<Dialect, 'exportRows' | 'importRows' | 'stats' | 'countRows' | 'countExpired'> {
  let exports: ReturnType<typeof prepareExports> | undefined;
  return {
    exportRows: (afterId: number, limit: number, extensionId: string | null) =>
      run('export rows', () => {
        exports ??= prepareExports(db);
        return (extensionId === null ? exports.all.execute({ afterId, limit }) : exports.extension.execute({ afterId, limit, extensionId })) as Promise<
          ExportedRow[]
        >;
      }),

    importRows: (rows: readonly ImportedRow[], onConflict: ImportConflict) =>
      run('import rows', () =>
        db.transaction(async (tx) => {
          const { find, insert } = prepareImport(tx);
          const outcomes: ImportOutcome[] = [];
          for (const row of rows) {
            const collisions = (await find.execute(sameEntryParams(row))).map((found) => found.id);
            const action = importAction(collisions.length, onConflict);
            outcomes.push(importOutcome(action));
            if (action === 'stop') break;
            if (action === 'skip') continue;
            if (action === 'replace') await tx.delete(t).where(inArray(t.id, collisions));
            await insert.execute({ ...row });
          }
          return outcomes;
        }),
      ),

    stats: (extensionId: string | null) =>
      run('stats', () =>
        statsOf(ofExtension(t, extensionId !== null), extensionId === null ? 'stats_all' : 'stats_extension', { extensionId: extensionId ?? undefined }),
      ),

    // The limit of `rowSetParams` is not a placeholder here: a count has none.
    countRows: (rows: RowSet) => run('count rows', () => statsOf(inRowSet(t, rows.kind), `count_rows_${rows.kind}`, rowSetParams(rows, 0))),

    countExpired: (now: Date) => run('count expired rows', () => statsOf(expiredAt(t), 'count_expired', { now })),
  };

  /** The stats statement over the rows `where` selects, prepared under `statement`'s name. */
  async function statsOf(where: SQL | undefined, statement: string, params: Record<string, unknown>): Promise<ScopeStatsRow[]> {
    return sortedStats((await db.select(statsColumns(t)).from(t).where(where).groupBy(...statsGrouping(t)).prepare(name(statement)).execute(params)) as ScopeStatsRow[]);
  }
}
