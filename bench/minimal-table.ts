/**
 * The physical limit every section is also compared with: a minimal key-value table on the same driver
 * and database (one table, one unique index over scope and key, value and version, an upsert that returns
 * nothing). What the library does beyond it (17 columns written, three indexes, the row returned, the
 * checks of the core) is what the ratio to it costs.
 * @module
 */

/** The contender's name in every table. */
export const MINIMAL = 'minimal kv table';

/** How each SQL flavour writes the minimal table: DDL, get, upsert, and a bulk seed (`INSERT … SELECT`-free). */
export interface MinimalSql {
  readonly create: readonly string[];
  readonly get: string;
  readonly upsert: string;
}

/** SQLite and PostgreSQL share `ON CONFLICT`; only the placeholders and the blob type differ. */
function onConflict(placeholder: (n: number) => string, blob: string, text: string): MinimalSql {
  const p = placeholder;
  return {
    create: [
      `CREATE TABLE bench_minimal (id ${blob === 'blob' ? 'integer PRIMARY KEY' : 'bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY'},
        extension_id ${text} NOT NULL, user_id ${text} NOT NULL, resource_type ${text} NOT NULL, resource_id ${text} NOT NULL,
        key ${text} NOT NULL, value ${blob} NOT NULL, version integer NOT NULL)`,
      'CREATE UNIQUE INDEX bench_minimal_scoped_key ON bench_minimal (extension_id, user_id, resource_type, resource_id, key)',
    ],
    get: `SELECT value, version FROM bench_minimal WHERE extension_id = ${p(1)} AND user_id = ${p(2)} AND resource_type = ${p(3)} AND resource_id = ${p(4)} AND key = ${p(5)}`,
    upsert: `INSERT INTO bench_minimal (extension_id, user_id, resource_type, resource_id, key, value, version)
      VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, 1)
      ON CONFLICT (extension_id, user_id, resource_type, resource_id, key) DO UPDATE SET value = excluded.value, version = bench_minimal.version + 1`,
  };
}

/** The minimal table in SQLite. */
export const SQLITE_MINIMAL = onConflict(() => '?', 'blob', 'text');

/** The minimal table in PostgreSQL (keys collated "C", as the library's). */
export const PG_MINIMAL = onConflict((n) => `$${n}`, 'bytea', 'text COLLATE "C"');

/** The minimal table in MySQL / MariaDB (VARBINARY keys, as the library's). */
export const MYSQL_MINIMAL: MinimalSql = {
  create: [
    `CREATE TABLE bench_minimal (id bigint AUTO_INCREMENT PRIMARY KEY,
      extension_id varbinary(255) NOT NULL, user_id varbinary(255) NOT NULL, resource_type varbinary(64) NOT NULL,
      resource_id varbinary(255) NOT NULL, \`key\` varbinary(1020) NOT NULL, value longblob NOT NULL, version int NOT NULL,
      UNIQUE KEY bench_minimal_scoped_key (extension_id, user_id, resource_type, resource_id, \`key\`)) ENGINE=InnoDB`,
  ],
  get: 'SELECT value, version FROM bench_minimal WHERE extension_id = ? AND user_id = ? AND resource_type = ? AND resource_id = ? AND `key` = ?',
  upsert: `INSERT INTO bench_minimal (extension_id, user_id, resource_type, resource_id, \`key\`, value, version) VALUES (?, ?, ?, ?, ?, ?, 1)
    ON DUPLICATE KEY UPDATE value = VALUES(value), version = version + 1`,
};

/** The note every section prints under its table. */
export const MINIMAL_NOTE =
  `${MINIMAL}: one table, one unique index over (scope, key), value + version, upsert without RETURNING, same driver and database: the physical limit.`;
