/**
 * A separate process for the terminated-backend test (postgres.test.ts): rotates the keys of its
 * database while the test terminates the backend its write-back runs on, then says whether it lived.
 *
 *   tsx test/dialects/postgres-terminate-worker.ts <url>
 *
 * Prints one JSON line: the rotation's result or error code, once the event loop has had time to run
 * whatever the driver scheduled after the connection died.
 */
import postgresJs from 'postgres';
import { postgres } from '../../src/dialects/postgres/index.js';
import { ExtensionStorage, ExtensionStorageError } from '../../src/index.js';

const [url] = process.argv.slice(2);
const sql = postgresJs(url!, { max: 2, onnotice: () => {} });
const storage = new ExtensionStorage({ dialect: postgres(sql), encryptionKeys: ['new secret', 'old secret'] });
let outcome: unknown;
try {
  outcome = { result: await storage.rotateKeys() };
} catch (error) {
  outcome = { error: error instanceof ExtensionStorageError ? error.code : String(error) };
}
await new Promise((resolve) => setTimeout(resolve, 500));
process.stdout.write(`${JSON.stringify({ ...(outcome as object), alive: true })}\n`);
await sql.end({ timeout: 5 });
