/**
 * A separate process for the event-loop test: takes SQLite's write lock on a WAL file, says so on
 * stdout, holds it for the given time, then commits.
 * Usage: tsx sqlite-lock-holder.ts <file> <milliseconds>
 */
import Database from 'better-sqlite3';

const [file, milliseconds] = process.argv.slice(2);
const db = new Database(file!);
db.exec('BEGIN IMMEDIATE');
db.exec('CREATE TABLE IF NOT EXISTS holder (n integer)');
process.stdout.write('locked\n');
setTimeout(() => {
  db.exec('COMMIT');
  db.close();
}, Number(milliseconds));
