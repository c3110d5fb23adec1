/**
 * MariaDB Galera Cluster, which the MySQL dialect detects from the server (`wsrep_on`) and handles
 * itself, so that a host passes the same `mysql(pool)` whichever node (or nodes) its pool reaches:
 *   - causal reads: each statement the library runs straight on the pool carries
 *     `SET STATEMENT wsrep_sync_wait=15 FOR …`, and each of its transactions starts so, so that it waits
 *     until its node has applied every write the cluster committed before it (read-your-writes across
 *     nodes, and a write never certifies against a row its node has not yet seen);
 *   - the migration lock: `GET_LOCK` is local to one node, so on a cluster the lock is a row of a
 *     replicated table, a lease taken by INSERT (two nodes inserting it at once conflict at
 *     certification, one after the other hit the primary key) and given back by DELETE;
 *   - certification conflicts (a write that lost to one committed on another node) fail with
 *     ER_LOCK_DEADLOCK (1213), which the dialect retries as a deadlock, with a larger budget: writers of
 *     one key on several nodes abort each other far more often than on one server;
 *   - a transaction the node rolled back without saying so (see `stillOpen`) does not commit as a
 *     success: before COMMIT the dialect asks whether it is still open, and retries it as a conflict.
 * A write with RETURNING must not run in autocommit on a cluster: a node that replays it (after a
 * brute-force abort at commit) commits it and then sends a malformed result set, so the caller sees an
 * error for a committed write. Inside a transaction the replay answers the COMMIT, which is harmless.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Connection, Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { DatabaseError, ExtensionStorageError } from '../../errors.js';
import { callbackExecute } from './client.js';

/**
 * Attempts of an operation aborted by a conflict, on a cluster. 16 writers of one key through three
 * nodes exhausted 12 for about 1 write in 150; each attempt waits at most 100 ms (dialect.ts).
 */
const CLUSTER_ATTEMPTS = 50;

/** Wait for causality before statements of every kind (1 reads, 2 updates and deletes, 4 inserts, 8 SHOW). */
const SYNC_WAIT = 'SET STATEMENT wsrep_sync_wait=15 FOR ';

/** The pool or connection of `mysql()`, Galera-aware, and whether the server is a Galera node. */
export interface GaleraAware {
  /** The client to run everything on: the host's own, causal on a Galera node. */
  readonly client: Pool | Connection;
  /**
   * Whether the server is a Galera node (`wsrep_on`), asked once at first need, on `via` when the
   * caller holds a connection (a pool whose only connection it holds has none left to ask on).
   */
  isGalera(via?: Pool | Connection): Promise<boolean>;
  /** How many attempts an operation aborted by a conflict gets: `single` unless on a cluster. */
  attempts(single: number): number;
  /**
   * The host's connection, its transaction open, with the library's statements on it causal: a
   * statement that touched a row before its node applied another node's committed write of that row
   * would be brute-force aborted when the write arrives, failing the host's whole transaction.
   */
  causal(connection: Connection): Connection;
  /**
   * `error`, or on a cluster the retryable conflict it really is: a row the transaction open on
   * `connection` has just written and cannot read back means the node rolled the transaction back
   * without saying so (see `stillOpen`); the statements after that ran outside it.
   */
  lost(connection: Connection, error: Error): Promise<Error>;
}

/**
 * Wraps the host's pool or connection so that, on a Galera node, statements run by `execute` (the
 * library's own, all prepared) and transactions wait for causality; elsewhere it forwards as it is.
 * Either way `execute` runs on the callback API under the promise client (`callbackExecute`).
 */
export function galeraAware(client: Pool | Connection): GaleraAware {
  /** Known after the first answer; until then each call asks (once, shared). */
  let known: boolean | undefined;
  let asking: Promise<boolean> | undefined;
  // `via`: the connection a caller already holds, so that a pool whose every connection is lent to a
  // beginning transaction does not wait for a connection to ask on (it would wait forever).
  const isGalera = (via: Pool | Connection = client): Promise<boolean> =>
    known !== undefined
      ? Promise.resolve(known)
      : (asking ??= via.query<RowDataPacket[]>("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'version')").then(
          ([rows]) => {
            const value = (name: string) => String(rows.find((row) => row.Variable_name === name)?.Value ?? '');
            // MariaDB's Galera only: MySQL-based clusters (Percona XtraDB) have no SET STATEMENT.
            return (known = /^on$/i.test(value('wsrep_on')) && /mariadb/i.test(value('version')));
          },
          (error: unknown) => {
            asking = undefined;
            throw error;
          },
        ));

  type Options = { sql: string } & Record<string, unknown>;
  // A copy: the caller may reuse its options object (Drizzle keeps one per prepared query).
  const causal = (options: string | Options): string | Options =>
    typeof options === 'string' ? SYNC_WAIT + options : { ...options, sql: SYNC_WAIT + options.sql };
  const execute = (target: Pool | Connection) => {
    const run = callbackExecute(target);
    return (options: string | Options, values?: unknown): Promise<unknown> =>
      known === false ? run(options, values) : isGalera(target).then((on) => run(on ? causal(options) : options, values));
  };
  const beginTransaction = (target: Connection) => async (): Promise<void> => {
    if (await isGalera(target)) await target.query(`${SYNC_WAIT}START TRANSACTION`);
    else await target.beginTransaction();
  };
  const commit = (target: Connection) => async (): Promise<void> => {
    if ((await isGalera(target)) && !(await stillOpen(target))) throw silentlyAborted();
    await target.commit();
  };
  const getConnection = (target: Pool) => async (): Promise<PoolConnection> => forward(await target.getConnection());

  /** `target` with `overrides` in place of its own methods, everything else its own, bound to it. */
  function forward<T extends object>(target: T): T {
    const overrides: Record<PropertyKey, unknown> = { execute: execute(target as unknown as Pool) };
    if (typeof (target as Partial<Pool>).getConnection === 'function') overrides.getConnection = getConnection(target as unknown as Pool);
    if (typeof (target as Partial<Connection>).beginTransaction === 'function') {
      overrides.beginTransaction = beginTransaction(target as unknown as Connection);
      overrides.commit = commit(target as unknown as Connection);
    }
    const bound = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get(object, property) {
        if (property in overrides) return overrides[property];
        const value = Reflect.get(object, property, object) as unknown;
        if (typeof value !== 'function') return value;
        if (!bound.has(property)) bound.set(property, (value as (...args: unknown[]) => unknown).bind(object));
        return bound.get(property);
      },
    });
  }

  return {
    client: forward(client),
    isGalera,
    attempts: (single) => (known === true ? CLUSTER_ATTEMPTS : single),
    causal: (connection) => forward(connection),
    lost: async (connection, error) => ((await isGalera(connection)) && !(await stillOpen(connection).catch(() => false)) ? silentlyAborted() : error),
  };
}

/**
 * Whether the transaction begun on `connection` is still open. Seen on MariaDB 10.11 with many writers
 * of one row on three nodes: a transaction brute-force aborted (its row lock wanted by a write set
 * another node committed) while its next statement was being prepared (COM_STMT_PREPARE, the first use
 * of that statement on the connection) was rolled back with no error to that statement nor to any after
 * it: they ran in autocommit, and COMMIT answered OK for a write that was not there (about 1 round in
 * 10 of 64 writers on fresh connections; an abort before the prepare is reported as ER_LOCK_DEADLOCK).
 * Asked in the text protocol, whose answer carries an abort that comes now; the pool's options must
 * not change the answer.
 */
async function stillOpen(connection: Connection): Promise<boolean> {
  const [rows] = await connection.query<RowDataPacket[][]>({
    sql: 'SELECT @@in_transaction',
    rowsAsArray: true,
    nestTables: false,
    typeCast: (_field, next) => next(),
  });
  return Number(rows[0]?.[0]) === 1;
}

/** What the node should have said: the transaction was aborted by a conflict, so it may run again. */
function silentlyAborted(): Error {
  return Object.assign(new Error('the Galera node rolled the transaction back (brute-force abort) without reporting it'), {
    errno: 1213,
    code: 'ER_LOCK_DEADLOCK',
  });
}

/** The replicated table that holds the migration lease (dropped with everything by `migrateDown`). */
export const LOCK_TABLE = 'extension_storage_migration_lock';
/** A lease not renewed for this long belongs to a process that died: the next one may take it. */
const LEASE_SECONDS = 60;
/** How often the holder renews its lease. */
const RENEW_MS = 15_000;

/** ER_DUP_ENTRY: the lease is held. ER_NO_SUCH_TABLE: a concurrent `migrateDown` dropped the table. */
const HELD = 1062;
const NO_TABLE = 1146;
/** ER_LOCK_DEADLOCK: another node inserted the lease at the same moment and won certification. */
const CONFLICT = 1213;

function errno(error: unknown): number | undefined {
  const value = (error as { errno?: unknown } | null)?.errno;
  return typeof value === 'number' ? value : undefined;
}

/**
 * Holds the cluster-wide migration lease on `connection` (autocommit, nothing else uses it meanwhile)
 * while `body` runs. `what` names the operation in errors: DATABASE when the lease cannot be taken,
 * MIGRATION when another process held it for `waitSeconds`. `broken()` retires the connection when its
 * session could not be restored. The lock table goes with the ledger (`migrateDown`): a lease whose
 * table is gone is given back.
 */
export async function withLease(
  connection: Connection,
  broken: () => void,
  what: string,
  waitSeconds: number,
  body: () => Promise<void>,
): Promise<void> {
  const holder = randomUUID();
  const query = (statement: string, values?: unknown[]) => connection.query({ sql: statement, rowsAsArray: false }, values);
  const createTable = () =>
    query(
      `CREATE TABLE IF NOT EXISTS \`${LOCK_TABLE}\` (` +
        '`name` varchar(64) CHARACTER SET ascii NOT NULL PRIMARY KEY, `holder` char(36) CHARACTER SET ascii NOT NULL, ' +
        '`expires_at` bigint NOT NULL)',
    );
  try {
    // The session waits for causality while it migrates: the ledger it reads is the cluster's latest.
    await query('SET SESSION wsrep_sync_wait = 15');
    await take();
  } catch (error) {
    broken(); // its session variable is set: not for the host's pool
    if (error instanceof ExtensionStorageError) throw error;
    throw new DatabaseError(`${what}: could not take the migration lock`, error);
  }
  let renewing = Promise.resolve();
  const renew = setInterval(() => {
    renewing = query(`UPDATE \`${LOCK_TABLE}\` SET \`expires_at\` = UNIX_TIMESTAMP() + ? WHERE \`name\` = 'migrate' AND \`holder\` = ?`, [
      LEASE_SECONDS,
      holder,
    ]).then(
      () => undefined,
      () => undefined,
    );
  }, RENEW_MS);
  try {
    await body();
  } finally {
    clearInterval(renew);
    await renewing;
    // A lease that could not be given back expires; a session whose sync wait stays set is not pooled.
    await query(`DELETE FROM \`${LOCK_TABLE}\` WHERE \`name\` = 'migrate' AND \`holder\` = ?`, [holder]).catch((error: unknown) => {
      if (errno(error) !== NO_TABLE) broken();
    });
    await query('SET SESSION wsrep_sync_wait = DEFAULT').catch(broken);
  }

  async function take(): Promise<void> {
    await createTable();
    const deadline = Date.now() + waitSeconds * 1000;
    for (let attempt = 1; ; attempt++) {
      try {
        await query(`INSERT INTO \`${LOCK_TABLE}\` (\`name\`, \`holder\`, \`expires_at\`) VALUES ('migrate', ?, UNIX_TIMESTAMP() + ?)`, [
          holder,
          LEASE_SECONDS,
        ]);
        break;
      } catch (error) {
        const code = errno(error);
        if (code === NO_TABLE) await createTable();
        else if (code === HELD) await query(`DELETE FROM \`${LOCK_TABLE}\` WHERE \`name\` = 'migrate' AND \`expires_at\` < UNIX_TIMESTAMP()`);
        else if (code !== CONFLICT) throw error;
        if (Date.now() > deadline) {
          throw new ExtensionStorageError('MIGRATION', `${what}: another process held the migration lock for ${waitSeconds} seconds`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(25 * attempt, 250) * (0.5 + Math.random())));
      }
    }
  }
}
