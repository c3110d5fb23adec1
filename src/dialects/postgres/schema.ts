/**
 * The Drizzle table definition of extension-storage on PostgreSQL (postgres.js and PGlite share it).
 * Exported so that a host can query it with its own Drizzle database (hosts leave it out of their
 * drizzle-kit schema: `migrate()` owns it); `drizzle/postgres/` holds the migrations generated from it.
 * @module
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, customType, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * `text COLLATE "C"`: compares and sorts by bytes (UTF-8 byte order), whatever the database's default
 * collation, so keys are case-sensitive, listings follow the same order as on every dialect, and
 * `key >= $from` range scans are served by the indexes. Drizzle's `text()` has no collation option.
 */
const bytewiseText = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
});

/** `bytea`, which Drizzle's pg-core does not provide. Drivers return a Buffer (postgres.js) or a Uint8Array (PGlite). */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
});

/**
 * A new row's id: uniformly random in 1..2^53 − 1 (a JavaScript safe integer). The upsert retries the
 * rare collision with an existing id (see `pg-database.ts`).
 */
const RANDOM_ID = sql`(floor(random() * 9007199254740991) + 1)::bigint`;

/**
 * One row per scoped key. The scope columns are NOT NULL, with `''` meaning "not this kind of scope",
 * so the unique index enforces one row per key in every scope (NULLs would never collide).
 * The widest row the validation rules allow (extension id 255 bytes, resource type 64, resource id,
 * category and key of 4-byte characters) makes a 2,648-byte entry in the category index, within
 * PostgreSQL's 2,704-byte limit for a btree entry.
 */
export const extensionStorage = pgTable(
  'extension_storage',
  {
    // A random positive safe integer, not an identity: an identity's sequence is an object of its own,
    // which a host's `drizzle-kit push` would drop whatever its `tablesFilter` (see README, Migrations).
    id: bigint('id', { mode: 'number' }).primaryKey().default(RANDOM_ID),
    uuid: uuid('uuid').notNull(),
    extensionId: bytewiseText('extension_id').notNull(),
    userId: bytewiseText('user_id').notNull().default(''),
    resourceType: bytewiseText('resource_type').notNull().default(''),
    resourceId: bytewiseText('resource_id').notNull().default(''),
    key: bytewiseText('key').notNull(),
    value: bytea('value').notNull(),
    valueType: text('value_type').notNull(),
    category: bytewiseText('category'),
    description: text('description'),
    isEncrypted: boolean('is_encrypted').notNull().default(false),
    size: integer('size').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { precision: 3, withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { precision: 3, withTimezone: true, mode: 'date' }).notNull(),
    createdBy: text('created_by'),
    updatedBy: text('updated_by'),
  },
  (t) => [
    uniqueIndex('extension_storage_uuid').on(t.uuid),
    uniqueIndex('extension_storage_scoped_key').on(t.extensionId, t.userId, t.resourceType, t.resourceId, t.key),
    // Partial: only a `category = $` query can use it, so a generic plan never picks it for a lookup by key.
    index('extension_storage_scoped_category')
      .on(t.extensionId, t.userId, t.resourceType, t.resourceId, t.category, t.key)
      .where(sql`${t.category} IS NOT NULL`),
    check(
      'extension_storage_one_scope',
      sql`(${t.userId} = '' OR ${t.resourceType} = '') AND ((${t.resourceType} = '') = (${t.resourceId} = ''))`,
    ),
  ],
);
