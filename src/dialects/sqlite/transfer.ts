/**
 * The SQLite dialect's export, import and stats operations: whole-table maintenance, prepared at each
 * call (a batch of rows per call makes that cost nothing), each call one transaction.
 * @module
 */
import type { Database as BetterSqliteDatabase } from 'better-sqlite3';
import { inArray, sql, type SQL } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
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
import { extensionStorage as t } from './schema.js';

type Run = <T>(operation: string, body: () => T) => Promise<T>;

/** The `exportRows`, `importRows`, `stats` and counts of a SQLite dialect over `db` (Drizzle over `raw`), errors wrapped by `run`. */
export function transferOperations(
  db: BetterSQLite3Database,
  raw: BetterSqliteDatabase,
  run: Run,
  toBuffer: (bytes: Uint8Array) => Buffer,
): Pick<Dialect, 'exportRows' | 'importRows' | 'stats' | 'countRows' | 'countExpired'> {
  return {
    exportRows: (afterId: number, limit: number, extensionId: string | null) =>
      run('export rows', () =>
        db
          .select(exportedRowColumns(t))
          .from(t)
          .where(exportedAfter(t, extensionId !== null))
          .orderBy(exportOrder(t))
          .limit(sql.placeholder('limit'))
          .prepare()
          .all({ afterId, limit, extensionId: extensionId ?? undefined }) as unknown as ExportedRow[],
      ),

    importRows: (rows: readonly ImportedRow[], onConflict: ImportConflict) =>
      run('import rows', () => {
        const find = db.select({ id: t.id }).from(t).where(sameEntry(t)).prepare();
        const insert = db.insert(t).values(importedRow(t)).prepare();
        return raw.transaction(() => {
          const outcomes: ImportOutcome[] = [];
          for (const row of rows) {
            const collisions = find.all(sameEntryParams(row)).map((found) => found.id);
            const action = importAction(collisions.length, onConflict);
            outcomes.push(importOutcome(action));
            if (action === 'stop') break;
            if (action === 'skip') continue;
            if (action === 'replace') db.delete(t).where(inArray(t.id, collisions)).run();
            insert.run({ ...row, value: toBuffer(row.value) });
          }
          return outcomes;
        })();
      }),

    stats: (extensionId: string | null) => run('stats', () => statsOf(ofExtension(t, extensionId !== null), { extensionId: extensionId ?? undefined })),

    // The limit of `rowSetParams` is not a placeholder here: a count has none.
    countRows: (rows: RowSet) => run('count rows', () => statsOf(inRowSet(t, rows.kind), rowSetParams(rows, 0))),

    countExpired: (now: Date) => run('count expired rows', () => statsOf(expiredAt(t), { now: now.getTime() })),
  };

  /** The stats statement over the rows `where` selects. */
  function statsOf(where: SQL | undefined, params: Record<string, unknown>): ScopeStatsRow[] {
    return sortedStats(db.select(statsColumns(t)).from(t).where(where).groupBy(...statsGrouping(t)).prepare().all(params) as unknown as ScopeStatsRow[]);
  }
}
