/**
 * `npm run bench [-- section ...] [--rounds=N] [--max-rounds=N] [--round-ms=MS] [--warmup-ms=MS]`: runs the benchmark
 * sections in order and prints their tables and targets. Sections: sqlite, postgres, pglite, mysql, lifecycle, writes, http, fernet, rotation (default:
 * all). A section whose dialect, server or module is missing prints "skipped: …" and the run goes on.
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';
import { DEFAULT_MEASURE, type MeasureOptions } from './harness.js';
import { allTargets, printMachine, printSkipped, printTargets, reasonOf } from './report.js';
import { planServers, stopServers } from './servers.js';

/** A named part of the run. */
interface Section {
  readonly name: string;
  readonly summary: string;
  readonly run: (measure: Partial<MeasureOptions>) => Promise<void>;
}

const SERVER_ROWS = 10_000;

const sections: readonly Section[] = [
  {
    name: 'sqlite',
    summary: 'get / upsert 1 KiB / list pages over 100,000 keys: library vs raw better-sqlite3 vs Keyv',
    run: async (measure) => (await import('./sqlite.js')).runSqliteBench({ rows: 100_000, measure }),
  },
  {
    name: 'postgres',
    summary: `the same over ${SERVER_ROWS.toLocaleString('en-US')} keys: library vs raw postgres.js vs Keyv, sequential and ×16`,
    run: async (measure) => (await import('./postgres.js')).runPostgresBench({ rows: SERVER_ROWS, measure }),
  },
  {
    name: 'pglite',
    summary: `the same over ${SERVER_ROWS.toLocaleString('en-US')} keys: library vs raw PGlite.query, sequential`,
    run: async (measure) => (await import('./pglite.js')).runPgliteBench({ rows: SERVER_ROWS, measure }),
  },
  {
    name: 'mysql',
    summary: `the same over ${SERVER_ROWS.toLocaleString('en-US')} keys: library vs raw mysql2 vs Keyv, sequential and ×16`,
    run: async (measure) => (await import('./mysql.js')).runMysqlBench({ rows: SERVER_ROWS, measure }),
  },
  {
    name: 'writes',
    summary: 'set with ifVersion / ifMatch vs plain set (SQLite); increment and update ×16 vs raw UPDATE … SET n = n + 1 (PostgreSQL, MariaDB)',
    run: async (measure) => (await import('./writes.js')).runWritesBench({ measure }),
  },
  {
    name: 'galera',
    summary: 'get / upsert 1 KiB through a three-node Galera cluster beside one MariaDB server; 16 writers of one key',
    run: async (measure) => (await import('./galera.js')).runGaleraBench({ rows: 2_000, measure }),
  },
  {
    name: 'lifecycle',
    summary: 'quotas: set with quotas vs without (SQLite, PostgreSQL sequential and ×16 writers of one extension); purgeExpired over 100,000 expired entries',
    run: async (measure) => (await import('./lifecycle.js')).runLifecycleBench({ keys: SERVER_ROWS, expired: 100_000, measure }),
  },
  {
    name: 'http',
    summary: 'GET / PUT of 1 KiB through the HTTP handler on node:http vs a hand-written node:http route calling the SDK, 32 connections (autocannon)',
    run: async () => (await import('./http.js')).runHttpBench(),
  },
  {
    name: 'fernet',
    summary: "Fernet encrypt / decrypt (bench/fernet.ts's own tables)",
    run: async () => {
      let fernet: { runFernetBench?: unknown };
      try {
        fernet = (await import('./fernet.js')) as { runFernetBench?: unknown };
      } catch (error) {
        return printSkipped('fernet', `bench/fernet.ts does not load (${reasonOf(error)})`);
      }
      if (typeof fernet.runFernetBench !== 'function') return printSkipped('fernet', 'bench/fernet.ts exports no runFernetBench()');
      await (fernet.runFernetBench as () => Promise<unknown>)();
    },
  },
  {
    name: 'rotation',
    summary: 'storage.rotateKeys() over 10,000 and 100,000 encrypted 4 KiB entries in a SQLite WAL file: rows/s and peak RSS',
    run: async (measure) => (await import('./rotation.js')).runRotationBench({ rows: 100_000, measure }),
  },
];

function parseArgs(argv: readonly string[]): { names: string[]; measure: Partial<MeasureOptions> } {
  const names: string[] = [];
  const measure: { -readonly [K in keyof MeasureOptions]?: MeasureOptions[K] } = {};
  for (const arg of argv) {
    const option = /^--([a-z-]+)=(\d+)$/.exec(arg);
    if (option) {
      const value = Number(option[2]);
      if (option[1] === 'rounds') measure.rounds = value;
      else if (option[1] === 'max-rounds') measure.maxRounds = value;
      else if (option[1] === 'round-ms') measure.roundMs = value;
      else if (option[1] === 'warmup-ms') measure.warmupMs = value;
      else throw new Error(`unknown option ${arg}`);
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg}; usage: npm run bench -- [${sections.map((s) => s.name).join('|')} ...] [--rounds=N] [--max-rounds=N] [--round-ms=MS] [--warmup-ms=MS]`);
    } else {
      if (!sections.some((s) => s.name === arg)) throw new Error(`unknown section "${arg}"; sections: ${sections.map((s) => s.name).join(', ')}`);
      names.push(arg);
    }
  }
  return { names, measure };
}

function versionOf(pkg: string): string {
  try {
    const file = new URL(`../node_modules/${pkg}/package.json`, import.meta.url);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' / ');

async function main(): Promise<void> {
  const { names, measure } = parseArgs(process.argv.slice(2));
  const chosen = names.length ? sections.filter((s) => names.includes(s.name)) : sections;
  const memory = new Database(':memory:');
  const sqliteVersion = (memory.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  memory.close();
  printMachine([
    ['load', `${load()} (1 / 5 / 15 min) at start; other processes share the cores, and the rounds are interleaved for that reason`],
    ['drivers', `better-sqlite3 ${versionOf('better-sqlite3')} (SQLite ${sqliteVersion}), postgres ${versionOf('postgres')}, mysql2 ${versionOf('mysql2')}, @electric-sql/pglite ${versionOf('@electric-sql/pglite')}, drizzle-orm ${versionOf('drizzle-orm')}`],
    ['keyv', `keyv ${versionOf('keyv')}, @keyv/sqlite ${versionOf('@keyv/sqlite')}, @keyv/postgres ${versionOf('@keyv/postgres')}, @keyv/mysql ${versionOf('@keyv/mysql')}`],
    ['harness', `warm-up ${measure.warmupMs ?? DEFAULT_MEASURE.warmupMs} ms, then ${measure.rounds ?? DEFAULT_MEASURE.rounds} to ${measure.maxRounds ?? DEFAULT_MEASURE.maxRounds} rounds × ${measure.roundMs ?? DEFAULT_MEASURE.roundMs} ms per contender, contenders interleaved, median reported`],
    ['spread', `± half-width of a ~95 % confidence interval of the median (rates; ratios round by round, paired); rounds are added until every figure is within ±${DEFAULT_MEASURE.targetSpread * 100} %, and "!" marks one that is not`],
    ['sections', chosen.map((s) => s.name).join(', ')],
  ]);
  planServers(
    chosen.flatMap((s): ('postgres' | 'mysql' | 'galera')[] =>
      s.name === 'galera' ? ['mysql', 'galera'] : s.name === 'postgres' || s.name === 'mysql' ? [s.name] : s.name === 'lifecycle' ? ['postgres'] : s.name === 'writes' ? ['postgres', 'mysql'] : [],
    ),
  );
  const started = Date.now();
  try {
    for (const section of chosen) {
      console.log(`\n═══ ${section.name}: ${section.summary}`);
      try {
        await section.run(measure);
      } catch (error) {
        console.log(`\n${section.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exitCode = 1;
      }
    }
  } finally {
    await stopServers();
  }
  printTargets('all targets', allTargets());
  console.log(`\nload ${load()} at the end · total ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

await main();
