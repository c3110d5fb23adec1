/**
 * A separate process for the rollback-journal test: takes SQLite's read (SHARED) lock on a file again and
 * again, holding it a few milliseconds each time, so that a writer's commit meets it.
 * Usage: tsx sqlite-reader.ts <file> <times>
 */
import Database from 'better-sqlite3';

const [file, times] = process.argv.slice(2);
const db = new Database(file!);
db.pragma('busy_timeout = 50'); // a writer committing holds the reader off for a moment only
const count = db.prepare('SELECT count(*) FROM extension_storage');
const pause = new Int32Array(new SharedArrayBuffer(4));
process.stdout.write('reading\n');
for (let i = 0; i < Number(times); i++) {
  try {
    db.exec('BEGIN');
    count.get();
    Atomics.wait(pause, 0, 0, 5); // the read lock is held meanwhile
    db.exec('COMMIT');
  } catch {
    if (db.inTransaction) db.exec('ROLLBACK');
  }
  Atomics.wait(pause, 0, 0, 3);
}
db.close();
