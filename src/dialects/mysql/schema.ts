/**
 * The Drizzle table definition of extension-storage on MySQL 8 and MariaDB 10.11+. Exported so that a
 * host can query it with its own Drizzle database (hosts leave it out of their drizzle-kit schema:
 * `migrate()` owns it); `drizzle/mysql/` holds the migrations generated from it.
 * @module
 */
import { bigint, boolean, customType, datetime, index, int, mysqlTable, uniqueIndex } from 'drizzle-orm/mysql-core';

/** Strings travel as their UTF-8 bytes (hex literals), never escaped in the connection's character set. */
const toUtf8 = (value: string | null) => (value === null ? null : Buffer.from(value, 'utf8')) as Buffer;
const fromUtf8 = (value: Buffer | string) => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));

/**
 * Text stored as its UTF-8 bytes in a `VARBINARY(bytes)`: compared bytewise, case-sensitively, with
 * trailing spaces significant (every `utf8mb4_*` collation, `_bin` included, is PAD SPACE), and ordered
 * like UTF-8 everywhere.
 */
const utf8Bytes = customType<{ data: string; driverData: Buffer; config: { bytes: number } }>({
  dataType: (config) => `varbinary(${config!.bytes})`,
  toDriver: toUtf8, // Drizzle hands a nullable column's placeholder its null too.
  fromDriver: fromUtf8,
});

/** Free text that is shown, never compared: `utf8mb4`, whatever the server's or the table's default. */
const utf8mb4 = customType<{ data: string; driverData: Buffer | string; config: { length: number } }>({
  dataType: (config) => `varchar(${config!.length}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  toDriver: toUtf8,
  fromDriver: fromUtf8,
});

/** A value of up to 4 GiB (the library stores up to `limits.maxValueBytes`, 16 MiB − 1 by default). */
const longBlob = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => 'longblob',
  toDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
  fromDriver: (value) => value,
});

/**
 * One row per scoped key. The scope columns are NOT NULL, with `''` meaning "not this kind of scope",
 * so the unique index enforces one row per key in every scope (NULLs would never collide).
 *
 * Byte budget of the indexes (InnoDB allows 3,072 bytes per index): the scoped key is
 * 255 + 255 + 64 + 1,020 + 1,020 = 2,614 bytes and the category index adds 256, 2,870 in all, so both
 * are ordinary B-trees (past the limit MariaDB silently builds a `USING HASH` index that no range scan
 * can use). 1,020 bytes hold 255 characters of 4 bytes; user ids are capped at 255 bytes by validation.
 * `DATETIME(3)` holds UTC wall-clock time, which no session `time_zone` converts.
 */
export const extensionStorage = mysqlTable(
  'extension_storage',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    uuid: utf8mb4('uuid', { length: 36 }).notNull(),
    extensionId: utf8Bytes('extension_id', { bytes: 255 }).notNull(),
    userId: utf8Bytes('user_id', { bytes: 255 }).notNull().default(''),
    resourceType: utf8Bytes('resource_type', { bytes: 64 }).notNull().default(''),
    resourceId: utf8Bytes('resource_id', { bytes: 1020 }).notNull().default(''),
    key: utf8Bytes('key', { bytes: 1020 }).notNull(),
    value: longBlob('value').notNull(),
    valueType: utf8mb4('value_type', { length: 255 }).notNull(),
    category: utf8Bytes('category', { bytes: 256 }),
    description: utf8mb4('description', { length: 1024 }),
    isEncrypted: boolean('is_encrypted').notNull().default(false),
    size: int('size', { unsigned: true }).notNull(),
    version: int('version', { unsigned: true }).notNull().default(1),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
    updatedAt: datetime('updated_at', { mode: 'date', fsp: 3 }).notNull(),
    createdBy: utf8mb4('created_by', { length: 255 }),
    updatedBy: utf8mb4('updated_by', { length: 255 }),
  },
  (t) => [
    uniqueIndex('extension_storage_uuid').on(t.uuid),
    uniqueIndex('extension_storage_scoped_key').on(t.extensionId, t.userId, t.resourceType, t.resourceId, t.key),
    index('extension_storage_scoped_category').on(t.extensionId, t.userId, t.resourceType, t.resourceId, t.category, t.key),
    // No CHECK of the scope shape here (validation guarantees it): drizzle-kit's MySQL introspection
    // fails on a CHECK of a table its `tablesFilter` excludes, so a host's `push` would stop.
  ],
);
