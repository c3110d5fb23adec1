/**
 * Database servers for the server sections: `BENCH_PG_URL` / `BENCH_MYSQL_URL` / `BENCH_GALERA_URLS` (three
 * comma-separated node URLs) when set (`off` skips), else whatever the test setup provides (`TEST_PG_URL` /
 * `TEST_MYSQL_URL` / `TEST_GALERA_URLS`, or throwaway servers it starts from the binaries on this machine). The test setup is vitest's globalSetup and exports only its default
 * function, so it is called here with a stand-in for vitest's project that just records what it
 * provides; its teardown stops the servers and deletes their data.
 * @module
 */
import { createTempDatabase, type TempDatabase } from '../test/setup/databases.js';
import { printSkipped, reasonOf } from './report.js';

/** A server to run a section against (for `galera`, its nodes' URLs joined by commas), or why there is none. */
export type ServerChoice = { readonly url: string } | { readonly skipped: string };

type Kind = 'postgres' | 'mysql' | 'galera';

const BENCH_ENV: Record<Kind, string> = { postgres: 'BENCH_PG_URL', mysql: 'BENCH_MYSQL_URL', galera: 'BENCH_GALERA_URLS' };
const TEST_ENV: Record<Kind, string> = { postgres: 'TEST_PG_URL', mysql: 'TEST_MYSQL_URL', galera: 'TEST_GALERA_URLS' };
const PROVIDED: Record<Kind, string> = { postgres: 'pgUrl', mysql: 'mysqlUrl', galera: 'galeraNodes' };
const LABEL: Record<Kind, string> = { postgres: 'PostgreSQL', mysql: 'MariaDB/MySQL', galera: 'Galera cluster' };
/** What the test setup also reads as "no server". */
const OFF = /^(off|none|skip|0|false)$/i;

let wanted: ReadonlySet<Kind> = new Set();
let started: Promise<Record<Kind, ServerChoice>> | undefined;
let teardown: (() => Promise<void>) | undefined;

/** Declares which servers this run will ask for, so that one start brings up all of them at once. */
export function planServers(kinds: readonly Kind[]): void {
  wanted = new Set(kinds);
}

/** The server for `kind`, starting the planned throwaway servers on first use. */
export async function server(kind: Kind): Promise<ServerChoice> {
  const given = process.env[BENCH_ENV[kind]]?.trim();
  if (given && OFF.test(given)) return { skipped: `turned off by ${BENCH_ENV[kind]}=${given}` };
  if (given) return { url: given };
  started ??= start();
  return (await started)[kind];
}

/** Stops the servers this process started, if any. */
export async function stopServers(): Promise<void> {
  const stop = teardown;
  teardown = undefined;
  await stop?.();
}

async function start(): Promise<Record<Kind, ServerChoice>> {
  const kinds: Kind[] = ['postgres', 'mysql', 'galera'];
  const needed = kinds.filter((kind) => wanted.has(kind) && !process.env[BENCH_ENV[kind]]?.trim());
  const provided = new Map<string, unknown>();
  const saved = new Map(kinds.map((kind) => [kind, process.env[TEST_ENV[kind]]]));
  // A server no section of this run needs is not started: the test setup reads "off" as "none".
  for (const kind of kinds) if (!needed.includes(kind)) process.env[TEST_ENV[kind]] = 'off';
  try {
    const { default: setup } = await import('../test/setup/servers.js');
    const project = { provide: (name: string, value: unknown) => void provided.set(name, value) };
    const stop = await setup(project as unknown as Parameters<typeof setup>[0]);
    teardown = typeof stop === 'function' ? stop : undefined;
  } catch (error) {
    const reason = `could not start a throwaway server: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    return { postgres: { skipped: reason }, mysql: { skipped: reason }, galera: { skipped: reason } };
  } finally {
    for (const [kind, value] of saved) {
      if (value === undefined) delete process.env[TEST_ENV[kind]];
      else process.env[TEST_ENV[kind]] = value;
    }
  }
  const choice = (kind: Kind): ServerChoice => {
    const value = provided.get(PROVIDED[kind]);
    if (typeof value === 'string') return { url: value };
    if (Array.isArray(value)) return { url: (value as { url: string }[]).map((node) => node.url).join(',') };
    const test = saved.get(kind)?.trim();
    if (test && OFF.test(test)) return { skipped: `turned off by ${TEST_ENV[kind]}=${test}` };
    return { skipped: `no ${LABEL[kind]} server (set ${BENCH_ENV[kind]}, or install the server binaries)` };
  };
  return { postgres: choice('postgres'), mysql: choice('mysql'), galera: choice('galera') };
}

/**
 * The dialect module and a fresh temporary database on the server of `section`, or `undefined` once
 * it has printed why the section is skipped (dialect does not load, no server, no database).
 */
export async function openServerDatabase<Module>(
  section: Exclude<Kind, 'galera'>,
  load: () => Promise<Module>,
): Promise<{ dialect: Module; database: TempDatabase } | undefined> {
  let dialect: Module;
  try {
    dialect = await load();
  } catch (error) {
    printSkipped(section, `the ${section} dialect does not load (${reasonOf(error)})`);
    return undefined;
  }
  const choice = await server(section);
  if ('skipped' in choice) {
    printSkipped(section, choice.skipped);
    return undefined;
  }
  try {
    return { dialect, database: await createTempDatabase(choice.url) };
  } catch (error) {
    printSkipped(section, `cannot create a temporary database on the server (${reasonOf(error)})`);
    return undefined;
  }
}
