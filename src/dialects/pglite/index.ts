/**
 * `extension-storage/pglite`: the PGlite dialect (in-process PostgreSQL) and its Drizzle table, the
 * same as the postgres dialect's.
 * @module
 */
export { pglite } from './dialect.js';
export type { PgliteClient } from './dialect.js';
export { extensionStorage } from '../postgres/schema.js';
