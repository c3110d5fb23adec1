/**
 * A rotation run that is killed: rotates the SQLite file with small batches and SIGKILLs its own
 * process after `batches` batches, mid-run, the way a crash or an OOM kill would stop it.
 * Usage: tsx rotation-kill-worker.ts <file> <batches>
 */
import Database from 'better-sqlite3';
import { ExtensionStorage } from '../../src/index.js';
import { sqlite } from '../../src/dialects/sqlite/index.js';

const [file, batches] = process.argv.slice(2);
const storage = new ExtensionStorage({ dialect: sqlite(new Database(file!)), encryptionKeys: ['new secret', 'old secret'] });
let done = 0;
await storage.rotateKeys({
  batchSize: 10,
  onProgress: () => {
    if (++done === Number(batches)) process.kill(process.pid, 'SIGKILL');
  },
});
