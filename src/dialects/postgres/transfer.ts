/**
 * The PostgreSQL dialect's export, import and stats operations (postgres.js and PGlite alike):
 * whole-table maintenance, each call one statement or one transaction.
 * @module
 */
import { inArray, sql } from 'drizzle-orm';
import type { Dialect, ExportedRow, ImportConflict, ImportedRow, ImportOutcome, ScopeStatsRow } from '../../dialect.js';
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
export function transferOperations(db: AnyPgDatabase, run: Run): Pick<Dialect, 'exportRows' | 'importRows' | 'stats'> {
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
      run('stats', async () =>
        sortedStats(
          (await db
            .select(statsColumns(t))
            .from(t)
            .where(ofExtension(t, extensionId !== null))
            .groupBy(...statsGrouping(t))
            .prepare(name(extensionId === null ? 'stats_all' : 'stats_extension'))
            .execute({ extensionId: extensionId ?? undefined })) as ScopeStatsRow[],
        ),
      ),
  };
}
