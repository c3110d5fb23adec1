/**
 * `extension-storage/sqlite`: the SQLite dialect (better-sqlite3) and its Drizzle table.
 * @module
 */
export { sqlite } from './dialect.js';
export type { SqliteClient } from './dialect.js';
export { extensionStorage } from './schema.js';
