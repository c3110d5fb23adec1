/**
 * `extension-storage/postgres`: the PostgreSQL dialect (postgres.js) and its Drizzle table.
 * @module
 */
export { postgres } from './dialect.js';
export type { PostgresClient } from './dialect.js';
export { extensionStorage } from './schema.js';
