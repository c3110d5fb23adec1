/**
 * The MySQL dialect's export, import and stats operations: whole-table maintenance, each call one
 * statement, or one transaction on a connection of its own.
 * @module
 */
import { inArray, sql, type Query, type SQL } from 'drizzle-orm';
import type { MySql2Database } from 'drizzle-orm/mysql2';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Dialect, ExportedRow, ImportConflict, ImportedRow, ImportOutcome, Row, RowSet, Scope, ScopeStatsRow } from '../../dialect.js';
import { expiredAt, inRowSet, ROW_SET_KINDS, rowSetParams } from '../shared/lifecycle.js';
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
import type { Bound } from './dialect.js';
import { extensionStorage as t } from './schema.js';

/**
 * What the dialect lends these operations: its error wrapping, its way of compiling and running
 * statements, and its row decoders. Every statement goes through it (not Drizzle's session, which runs
 * `query` with the pool's options and client-side interpolation): so the pool's result options cannot
 * change what is read, and a Galera cluster's causal reads cover export and stats too.
 */
export interface MysqlRunner {
  run<T>(operation: string, body: () => Promise<T>): Promise<T>;
  /**
   * Runs a compiled statement on one connection, as the dialect runs its own (prepared, the pool's
   * result options overridden, compared placeholders bound as their UTF-8 bytes).
   */
  execute<T>(connection: Connection, query: Query, values: Record<string, unknown>): Promise<T>;
  /** Compiles a statement once, for `read`. */
  compile(query: Query): Bound;
  /** Runs a compiled statement on the pool, as `execute` does on one connection. */
  read<T>(statement: Bound, values: Record<string, unknown>): Promise<T>;
  /** The dialect's decoder of a stored row (the columns of `schema.ts`, by their SQL names). */
  decodeRow(row: RowDataPacket): Row;
  /** A text the driver may return as bytes (the `VARBINARY` columns and expressions over them). */
  utf8(value: unknown): string;
}

function prepareStatements(db: MySql2Database, compile: MysqlRunner['compile']) {
  const placeholder = sql.placeholder;
  const exportShape = (byExtension: boolean) =>
    compile(
      db
        .select(exportedRowColumns(t))
        .from(t)
        .where(exportedAfter(t, byExtension))
        .orderBy(exportOrder(t))
        .limit(placeholder('limit') as unknown as number)
        .toSQL(),
    );
  // The rows are decoded by hand, by name: the computed columns get one.
  const { extensionId, scope, rows, bytes, encryptedRows } = statsColumns(t);
  const statsShape = (where: SQL | undefined) =>
    compile(
      db
        .select({ extensionId, scope: scope.as('scope'), rows: rows.as('rows'), bytes: bytes.as('bytes'), encryptedRows: encryptedRows.as('encrypted_rows') })
        .from(t)
        .where(where)
        .groupBy(...statsGrouping(t))
        .toSQL(),
    );
  return {
    exportAll: exportShape(false),
    exportExtension: exportShape(true),
    statsAll: statsShape(ofExtension(t, false)),
    statsExtension: statsShape(ofExtension(t, true)),
    countRows: ROW_SET_KINDS.map((kind) => statsShape(inRowSet(t, kind))),
    countExpired: statsShape(expiredAt(t)),
    find: db.select({ id: t.id }).from(t).where(sameEntry(t)).toSQL(),
    insert: db.insert(t).values(importedRow(t)).toSQL(),
  };
}

/** The `exportRows`, `importRows` and `stats` of a MySQL dialect over `db` and `pool`. */
export function transferOperations(db: MySql2Database, pool: Connections, runner: MysqlRunner): Pick<Dialect, 'exportRows' | 'importRows' | 'stats' | 'countRows' | 'countExpired'> {
  const { run, execute, compile, read, decodeRow, utf8 } = runner;
  let statements: ReturnType<typeof prepareStatements> | undefined;
  const prepared = () => (statements ??= prepareStatements(db, compile));
  const exportedRow = (row: RowDataPacket): ExportedRow => {
    const decoded = decodeRow(row) as Row & { -readonly [K in keyof Scope]: Scope[K] };
    decoded.extensionId = utf8(row.extension_id);
    decoded.userId = utf8(row.user_id);
    decoded.resourceType = utf8(row.resource_type);
    decoded.resourceId = utf8(row.resource_id);
    return decoded;
  };
  const statsRow = (row: RowDataPacket): ScopeStatsRow => ({
    extensionId: utf8(row.extension_id),
    scope: utf8(row.scope) as ScopeStatsRow['scope'],
    rows: Number(row.rows),
    bytes: Number(row.bytes),
    encryptedRows: Number(row.encrypted_rows),
  });
  return {
    exportRows: (afterId: number, limit: number, extensionId: string | null) =>
      run('export rows', async () => {
        const { exportAll, exportExtension } = prepared();
        const rows =
          extensionId === null
            ? await read<RowDataPacket[]>(exportAll, { afterId, limit })
            : await read<RowDataPacket[]>(exportExtension, { afterId, limit, extensionId });
        return rows.map(exportedRow);
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
        const rows = extensionId === null ? await read<RowDataPacket[]>(statsAll, {}) : await read<RowDataPacket[]>(statsExtension, { extensionId });
        return sortedStats(rows.map(statsRow));
      }),

    // The limit of `rowSetParams` is not a placeholder here: a count has none.
    countRows: (rowSet: RowSet) =>
      run('count rows', async () =>
        sortedStats((await read<RowDataPacket[]>(prepared().countRows[ROW_SET_KINDS.indexOf(rowSet.kind)]!, rowSetParams(rowSet, 0))).map(statsRow)),
      ),

    countExpired: (now: Date) =>
      run('count expired rows', async () => sortedStats((await read<RowDataPacket[]>(prepared().countExpired, { now })).map(statsRow))),
  };
}
