/**
 * The MySQL dialect's export, import and stats operations: whole-table maintenance, each call one
 * statement, or one transaction on a connection of its own.
 * @module
 */
import { inArray, sql, type Query } from 'drizzle-orm';
import type { MySql2Database } from 'drizzle-orm/mysql2';
import type { Connection, RowDataPacket } from 'mysql2/promise';
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
import type { Connections } from './client.js';
import { extensionStorage as t } from './schema.js';

/** What the dialect lends these operations: its error wrapping and its way of running compiled statements. */
export interface MysqlRunner {
  run<T>(operation: string, body: () => Promise<T>): Promise<T>;
  /**
   * Runs a compiled statement on one connection, as the dialect runs its own (prepared, the pool's
   * result options overridden, compared placeholders bound as their UTF-8 bytes).
   */
  execute<T>(connection: Connection, query: Query, values: Record<string, unknown>): Promise<T>;
}

function prepareStatements(db: MySql2Database) {
  const placeholder = sql.placeholder;
  const exportShape = (byExtension: boolean) =>
    db.select(exportedRowColumns(t)).from(t).where(exportedAfter(t, byExtension)).orderBy(exportOrder(t)).limit(placeholder('limit')).prepare();
  const statsShape = (byExtension: boolean) =>
    db
      .select(statsColumns(t))
      .from(t)
      .where(ofExtension(t, byExtension))
      .groupBy(...statsGrouping(t))
      .prepare();
  return {
    exportAll: exportShape(false),
    exportExtension: exportShape(true),
    statsAll: statsShape(false),
    statsExtension: statsShape(true),
    find: db.select({ id: t.id }).from(t).where(sameEntry(t)).toSQL(),
    insert: db.insert(t).values(importedRow()).toSQL(),
  };
}

/** The `exportRows`, `importRows` and `stats` of a MySQL dialect over `db` and `pool`. */
export function transferOperations(db: MySql2Database, pool: Connections, runner: MysqlRunner): Pick<Dialect, 'exportRows' | 'importRows' | 'stats'> {
  const { run, execute } = runner;
  let statements: ReturnType<typeof prepareStatements> | undefined;
  const prepared = () => (statements ??= prepareStatements(db));
  return {
    exportRows: (afterId: number, limit: number, extensionId: string | null) =>
      run('export rows', () => {
        const { exportAll, exportExtension } = prepared();
        return (
          extensionId === null ? exportAll.execute({ afterId, limit }) : exportExtension.execute({ afterId, limit, extensionId: Buffer.from(extensionId, 'utf8') })
        ) as Promise<ExportedRow[]>;
      }),

    importRows: (rows: readonly ImportedRow[], onConflict: ImportConflict) =>
      run('import rows', () =>
        pool.transaction(async (connection) => {
          const { find, insert } = prepared();
          const outcomes: ImportOutcome[] = [];
          for (const row of rows) {
            const found = await execute<RowDataPacket[]>(connection, find, sameEntryParams(row));
            const collisions = found.map((existing) => Number(existing.id));
            const action = importAction(collisions.length, onConflict);
            outcomes.push(importOutcome(action));
            if (action === 'stop') break;
            if (action === 'skip') continue;
            if (action === 'replace') await execute(connection, db.delete(t).where(inArray(t.id, collisions)).toSQL(), {});
            await execute(connection, insert, { ...row });
          }
          return outcomes;
        }),
      ),

    stats: (extensionId: string | null) =>
      run('stats', async () => {
        const { statsAll, statsExtension } = prepared();
        const rows = extensionId === null ? await statsAll.execute() : await statsExtension.execute({ extensionId: Buffer.from(extensionId, 'utf8') });
        return sortedStats(rows as ScopeStatsRow[]);
      }),
  };
}
