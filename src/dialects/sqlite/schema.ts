/**
 * The Drizzle table definition of extension-storage on SQLite. Exported so that a host can query it
 * with its own Drizzle database (hosts leave it out of their drizzle-kit schema: `migrate()` owns it);
 * `drizzle/sqlite/` holds the migrations generated from it.
 * @module
 */
import { sql } from 'drizzle-orm';
import { blob, check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * One row per scoped key. The scope columns are NOT NULL, with `''` meaning "not this kind of scope",
 * so the unique index enforces one row per key in every scope (NULLs would never collide).
 * SQLite compares text with the BINARY collation: keys are case-sensitive and ordered bytewise.
 */
export const extensionStorage = sqliteTable(
  'extension_storage',
  {
    id: integer('id').primaryKey(),
    uuid: text('uuid').notNull(),
    extensionId: text('extension_id').notNull(),
    userId: text('user_id').notNull().default(''),
    resourceType: text('resource_type').notNull().default(''),
    resourceId: text('resource_id').notNull().default(''),
    key: text('key').notNull(),
    value: blob('value', { mode: 'buffer' }).notNull(),
    valueType: text('value_type').notNull(),
    category: text('category'),
    description: text('description'),
    isEncrypted: integer('is_encrypted', { mode: 'boolean' }).notNull().default(false),
    size: integer('size').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    createdBy: text('created_by'),
    updatedBy: text('updated_by'),
  },
  (t) => [
    uniqueIndex('extension_storage_uuid').on(t.uuid),
    uniqueIndex('extension_storage_scoped_key').on(t.extensionId, t.userId, t.resourceType, t.resourceId, t.key),
    index('extension_storage_scoped_category').on(t.extensionId, t.userId, t.resourceType, t.resourceId, t.category, t.key),
    check(
      'extension_storage_one_scope',
      sql`(${t.userId} = '' OR ${t.resourceType} = '') AND ((${t.resourceType} = '') = (${t.resourceId} = ''))`,
    ),
  ],
);
