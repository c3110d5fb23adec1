/**
 * `extension-storage/mysql`: the MySQL 8 / MariaDB 10.11+ dialect (mysql2) and its Drizzle table.
 * @module
 */
export { mysql, MIN_MAX_ALLOWED_PACKET } from './dialect.js';
export type { MysqlClient } from './dialect.js';
export { extensionStorage } from './schema.js';
