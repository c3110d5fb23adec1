/// <reference path="./provided.d.ts" />
/**
 * vitest globalSetup: throwaway PostgreSQL and MariaDB servers for the dialect tests.
 *
 * For each server:
 *   - TEST_PG_URL / TEST_MYSQL_URL set to a URL  -> use that server, start nothing;
 *   - set to "off"                               -> no server, those tests skip;
 *   - unset                                      -> start one from the binaries found on this machine
 *     (PATH, /usr/lib/postgresql/<v>/bin, /usr/sbin, ...) on a free 127.0.0.1 port, data in a temp
 *     folder, stopped and deleted at teardown.
 * A missing server prints a loud warning and its tests skip, except under CI=true, where it fails the run.
 *
 * Tests read the URLs with `inject('pgUrl')` / `inject('mysqlUrl')` (string | undefined). Each URL points
 * at an existing database `extstore_test`; the user may create further databases (see databases.ts).
 *
 * Likewise a three-node MariaDB Galera cluster (galera-4 + rsync), `inject('galeraNodes')`:
 * TEST_GALERA_URLS = three comma-separated URLs of an existing cluster's nodes, or "off"; unset starts
 * one (the first node bootstraps, the others join by rsync state transfer), in parallel with the others.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

const DB_NAME = 'extstore_test';
const USER = 'extstore';
const PASSWORD = 'extstore';
const START_TIMEOUT_MS = 60_000;
const isCI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const debug = /^(1|true|yes)$/i.test(process.env.TEST_SERVERS_DEBUG ?? '');

interface Running {
  name: string;
  url: string;
  child: ChildProcess;
  stopSignal: NodeJS.Signals;
}

const log = (msg: string) => process.stderr.write(`[test servers] ${msg}\n`);
const loud = (msg: string) => process.stderr.write(`\n!!! ${msg}\n\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// binaries

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function whichAll(names: string[], extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...extraDirs];
  for (const name of names) {
    for (const dir of dirs) {
      const p = path.join(dir, name);
      if (isExecutable(p)) return p;
    }
  }
  return undefined;
}

/** Directory holding initdb + postgres (symlinks resolved), newest version first. */
function findPgBinDir(): string | undefined {
  const candidates: string[] = [];
  const inPath = whichAll(['initdb']);
  if (inPath) candidates.push(path.dirname(fs.realpathSync(inPath)));
  for (const root of ['/usr/lib/postgresql', '/usr/local/pgsql', '/opt/postgresql']) {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(root);
    } catch {
      continue;
    }
    entries
      .sort((a, b) => (parseFloat(b) || 0) - (parseFloat(a) || 0))
      .forEach((v) => candidates.push(path.join(root, v, 'bin')));
    candidates.push(path.join(root, 'bin'));
  }
  return candidates.find((d) => isExecutable(path.join(d, 'initdb')) && isExecutable(path.join(d, 'postgres')));
}

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/mysql/bin', '/opt/mariadb/bin'];

function findMariaDb(): { server: string; installDb: string } | undefined {
  const server = whichAll(['mariadbd', 'mysqld'], SBIN);
  const installDb = whichAll(['mariadb-install-db', 'mysql_install_db'], SBIN.concat(['/usr/local/mysql/scripts']));
  if (!server || !installDb) return undefined;
  // Oracle MySQL's mysqld has no install-db script any more; we only drive MariaDB here.
  return { server, installDb };
}

// ---------------------------------------------------------------------------------------------
// helpers

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Unprivileged user for servers that refuse root (initdb). Created on demand when we are root. */
function unprivilegedIds(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()),
    gid: Number(execFileSync('id', ['-g', USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()),
  });
  try {
    return ids();
  } catch {
    const nologin = ['/usr/sbin/nologin', '/sbin/nologin', '/bin/false'].find(isExecutable) ?? '/bin/false';
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', nologin, USER], {
        stdio: 'pipe',
      });
    } catch (e) {
      // a concurrent run may have created it meanwhile
      try {
        return ids();
      } catch {
        throw new Error(`could not create system user ${USER} for initdb (running as root): ${String(e)}`);
      }
    }
    return ids();
  }
}

function run(cmd: string, args: string[], opts: { uid?: number; gid?: number; cwd: string }): Promise<string> {
  if (debug) log(`${cmd} ${args.join(' ')}`);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        cwd: opts.cwd,
        uid: opts.uid,
        gid: opts.gid,
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      },
      (err, stdout, stderr) => {
        if (debug) log(`${path.basename(cmd)}: ${Date.now() - t0} ms`);
        if (err) reject(new Error(`${path.basename(cmd)} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * Spawns a server in the foreground, copies its output to logFile, resolves once a line matches
 * `ready`; rejects if it exits first or takes too long.
 */
function startServer(
  name: string,
  cmd: string,
  args: string[],
  opts: { uid?: number; gid?: number; cwd: string; logFile: string; ready: RegExp; mayDie?: boolean },
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    if (debug) log(`${name}: ${cmd} ${args.join(' ')}`);
    const t0 = Date.now();
    const out = fs.createWriteStream(opts.logFile, { flags: 'a' });
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      uid: opts.uid,
      gid: opts.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    });
    let seen = '';
    let done = false;
    const timer = setTimeout(() => {
      finish(new Error(`${name} did not become ready within ${START_TIMEOUT_MS / 1000}s`));
      child.kill('SIGKILL');
    }, START_TIMEOUT_MS);
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(Object.assign(err, { log: seen.slice(-4000) }));
      else resolve(child);
    };
    const onData = (buf: Buffer) => {
      out.write(buf);
      if (done) return;
      seen += buf.toString('utf8');
      if (opts.ready.test(seen)) {
        if (debug) log(`${name}: ready after ${Date.now() - t0} ms`);
        finish();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (e) => finish(e));
    child.on('exit', (code, signal) => {
      out.end();
      if (done && !stopping) {
        const message = `${name} died while tests were running (code ${code}, signal ${signal}); log: ${opts.logFile}`;
        if (opts.mayDie) log(`${message} (a test may stop it)`);
        else loud(message);
      }
      finish(new Error(`${name} exited during startup (code ${code}, signal ${signal})\n${seen.slice(-4000)}`));
    });
  });
}

async function retry<T>(what: string, fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${what}: ${String(e)}`);
      await sleep(100);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

async function startPostgres(root: string): Promise<Running | undefined> {
  const bin = findPgBinDir();
  if (!bin) return undefined;
  const ids = unprivilegedIds();
  const dir = path.join(root, 'pg');
  fs.mkdirSync(dir, { mode: 0o700 });
  if (ids) fs.chownSync(dir, ids.uid, ids.gid);
  const data = path.join(dir, 'data');
  const as = { uid: ids?.uid, gid: ids?.gid, cwd: dir };

  await run(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', USER, '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync', ...(await pgInitdbExtra(bin))],
    as,
  );

  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    // prettier-ignore
    const args = [
      '-D', data, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', 'wal_level=minimal', '-c', 'max_wal_senders=0',
      '-c', 'max_connections=200',
      '-c', 'lc_messages=C',
      '-c', 'log_min_messages=warning',
    ];
    try {
      const child = await startServer('postgres', path.join(bin, 'postgres'), args, {
        ...as,
        logFile: path.join(dir, 'postgres.log'),
        ready: /database system is ready to accept connections/,
      });
      const adminUrl = `postgres://${USER}@127.0.0.1:${port}/postgres`;
      const running: Running = {
        name: 'postgres',
        url: `postgres://${USER}@127.0.0.1:${port}/${DB_NAME}`,
        child,
        stopSignal: 'SIGQUIT', // immediate shutdown: the data is thrown away anyway
      };
      track(running);
      await pgCreateDatabase(bin, adminUrl, port, dir);
      return running;
    } catch (e) {
      lastErr = e;
      if (!/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(String((e as { log?: string }).log ?? e))) break;
    }
  }
  throw lastErr;
}

async function pgInitdbExtra(bin: string): Promise<string[]> {
  // --no-instructions exists since PostgreSQL 14
  try {
    const v = await run(path.join(bin, 'initdb'), ['--version'], { cwd: os.tmpdir() });
    const major = Number(/(\d+)(?:\.\d+)?/.exec(v)?.[1] ?? 0);
    return major >= 14 ? ['--no-instructions'] : [];
  } catch {
    return [];
  }
}

async function pgCreateDatabase(bin: string, adminUrl: string, port: number, cwd: string) {
  let postgres: typeof import('postgres') | undefined;
  try {
    postgres = (await import('postgres')).default;
  } catch {
    postgres = undefined;
  }
  if (postgres) {
    const pg = postgres;
    await retry('postgres: create database', async () => {
      const sql = pg(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        await sql.unsafe(`CREATE DATABASE ${DB_NAME}`);
      } finally {
        await sql.end({ timeout: 1 });
      }
    });
    return;
  }
  const psql = path.join(bin, 'psql');
  if (!isExecutable(psql)) throw new Error('postgres: neither the `postgres` npm package nor psql is available to create the test database');
  await run(psql, ['-h', '127.0.0.1', '-p', String(port), '-U', USER, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${DB_NAME}`], { cwd });
}

// ---------------------------------------------------------------------------------------------
// MariaDB

async function startMariaDb(root: string): Promise<Running | undefined> {
  const bins = findMariaDb();
  if (!bins) return undefined;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const dir = path.join(root, 'mysql');
  const data = path.join(dir, 'data');
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const userArgs = isRoot ? ['--user=root'] : [];
  // prettier-ignore
  const tuning = [
    '--skip-name-resolve',
    '--max-allowed-packet=64M',
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-buffer-pool-size=128M',
    '--loose-innodb-doublewrite=0',
    '--loose-innodb-flush-method=nosync',
    '--loose-sync-binlog=0',
    '--loose-performance-schema=OFF',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
  ];

  await run(
    bins.installDb,
    [
      '--no-defaults',
      `--datadir=${data}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...userArgs,
      `--tmpdir=${tmp}`,
      ...tuning,
    ],
    { cwd: dir },
  );

  const initFile = path.join(dir, 'init.sql');
  fs.writeFileSync(
    initFile,
    [
      `CREATE DATABASE IF NOT EXISTS ${DB_NAME};`,
      `CREATE USER IF NOT EXISTS '${USER}'@'%' IDENTIFIED BY '${PASSWORD}';`,
      `GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'%' WITH GRANT OPTION;`,
      '',
    ].join('\n'),
  );

  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    // prettier-ignore
    const args = [
      '--no-defaults',
      `--datadir=${data}`,
      `--tmpdir=${tmp}`,
      `--socket=${path.join(dir, 'mysqld.sock')}`,
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      '--bind-address=127.0.0.1',
      `--port=${port}`,
      `--init-file=${initFile}`,
      '--skip-log-bin',
      '--max-connections=300',
      ...userArgs,
      ...tuning,
    ];
    try {
      const child = await startServer('mariadbd', bins.server, args, {
        cwd: dir,
        logFile: path.join(dir, 'mariadbd.log'),
        ready: /ready for connections/,
      });
      const running: Running = {
        name: 'mariadbd',
        url: `mysql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DB_NAME}`,
        child,
        stopSignal: 'SIGKILL', // the data is thrown away anyway
      };
      track(running);
      await mysqlPing(running.url);
      return running;
    } catch (e) {
      lastErr = e;
      if (!/Can't start server|Address already in use|errno: 98/i.test(String((e as { log?: string }).log ?? e))) break;
    }
  }
  throw lastErr;
}

async function mysqlPing(url: string) {
  type Mysql = typeof import('mysql2/promise');
  let mysql: Mysql;
  try {
    const mod = (await import('mysql2/promise')) as Mysql & { default?: Mysql };
    mysql = typeof mod.createConnection === 'function' ? mod : mod.default!;
  } catch {
    return; // the "ready for connections" line is good enough without the driver
  }
  await retry('mariadbd: first query', async () => {
    const c = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
    try {
      await c.query('SELECT 1');
    } finally {
      await c.end();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// MariaDB Galera: three nodes on 127.0.0.1

/** One node of the test cluster; `process` only on the throwaway cluster (not on TEST_GALERA_URLS). */
export interface GaleraNode {
  url: string;
  /** What a test needs to stop (SIGKILL) and restart the node. */
  process?: {
    /** mariadbd writes its pid here; a restarted node writes its new one (teardown kills that too). */
    pidFile: string;
    /** The command line that starts this node again, as a joiner of the running cluster. */
    command: string;
    args: string[];
    uid?: number;
    gid?: number;
    cwd: string;
    logFile: string;
  };
}

const GALERA_PROVIDERS = ['/usr/lib/galera/libgalera_smm.so', '/usr/lib/galera-4/libgalera_smm.so', '/usr/lib64/galera-4/libgalera_smm.so', '/usr/lib/libgalera_smm.so'];

function findGalera(): { server: string; installDb: string; provider: string } | undefined {
  const bins = findMariaDb();
  const provider = GALERA_PROVIDERS.find((p) => fs.existsSync(p));
  // the joiners receive the donor's files through the rsync state transfer script, which checks its port with ss or lsof
  if (!bins || !provider || !whichAll(['rsync']) || !whichAll(['wsrep_sst_rsync'], SBIN) || !whichAll(['ss', 'lsof', 'sockstat'], SBIN)) return undefined;
  return { ...bins, provider };
}

/**
 * Starts three Galera nodes: the first bootstraps a new cluster (`--wsrep-new-cluster`), the others join
 * it one after the other (each joiner copies the donor's data by rsync). As root, mariadbd runs as the
 * unprivileged user: the joiner's rsync daemon cannot write the data folder otherwise.
 */
async function startGalera(root: string): Promise<GaleraNode[] | undefined> {
  const bins = findGalera();
  if (!bins) return undefined;
  const ids = unprivilegedIds();
  const dir = path.join(root, 'galera');
  fs.mkdirSync(dir, { mode: 0o755 });
  const ports = await Promise.all(Array.from({ length: 12 }, () => freePort()));
  const nodes = [0, 1, 2].map((i) => {
    const home = path.join(dir, `node${i + 1}`);
    const [port, gcomm, ist, sst] = ports.slice(i * 4, i * 4 + 4) as [number, number, number, number];
    for (const sub of ['', 'data', 'tmp']) {
      fs.mkdirSync(path.join(home, sub), { recursive: true, mode: 0o700 });
      if (ids) fs.chownSync(path.join(home, sub), ids.uid, ids.gid);
    }
    return { i, home, data: path.join(home, 'data'), tmp: path.join(home, 'tmp'), port, gcomm, ist, sst };
  });
  const peers = nodes.map((n) => `127.0.0.1:${n.gcomm}`).join(',');
  const cluster = `extstore_${process.pid}_${Date.now().toString(36)}`;
  // prettier-ignore
  const tuning = [
    '--skip-name-resolve',
    '--max-allowed-packet=64M',
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=16M',
    '--loose-innodb-doublewrite=0',
    '--loose-innodb-flush-method=nosync',
    '--loose-performance-schema=OFF',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
  ];
  const as = { uid: ids?.uid, gid: ids?.gid };

  // Only the first node needs system tables: the joiners get the donor's whole data folder.
  await run(
    bins.installDb,
    ['--no-defaults', `--datadir=${nodes[0]!.data}`, '--auth-root-authentication-method=normal', '--skip-test-db', `--tmpdir=${nodes[0]!.tmp}`, ...tuning],
    { ...as, cwd: nodes[0]!.home },
  );
  const initFile = path.join(dir, 'init.sql');
  fs.writeFileSync(
    initFile,
    [
      `CREATE DATABASE IF NOT EXISTS ${DB_NAME};`,
      `CREATE USER IF NOT EXISTS '${USER}'@'%' IDENTIFIED BY '${PASSWORD}';`,
      `GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'%' WITH GRANT OPTION;`,
      '',
    ].join('\n'),
  );

  const started: GaleraNode[] = [];
  for (const n of nodes) {
    // prettier-ignore
    const args = [
      '--no-defaults',
      `--datadir=${n.data}`,
      `--tmpdir=${n.tmp}`,
      `--socket=${path.join(n.home, 'mysqld.sock')}`,
      `--pid-file=${path.join(n.home, 'mysqld.pid')}`,
      '--bind-address=127.0.0.1',
      `--port=${n.port}`,
      '--max-connections=300',
      ...tuning,
      // what Galera requires of every node
      '--binlog-format=ROW',
      '--innodb-autoinc-lock-mode=2',
      '--default-storage-engine=InnoDB',
      '--wsrep-on=ON',
      `--wsrep-provider=${bins.provider}`,
      `--wsrep-cluster-name=${cluster}`,
      `--wsrep-cluster-address=gcomm://${peers}`,
      `--wsrep-node-name=node${n.i + 1}`,
      `--wsrep-node-address=127.0.0.1:${n.gcomm}`,
      `--wsrep-node-incoming-address=127.0.0.1:${n.port}`,
      `--wsrep-sst-receive-address=127.0.0.1:${n.sst}`,
      '--wsrep-sst-method=rsync',
      `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${n.gcomm};ist.recv_addr=127.0.0.1:${n.ist};gcache.size=32M;gcache.page_size=16M`,
    ];
    const pidFile = path.join(n.home, 'mysqld.pid');
    const logFile = path.join(n.home, 'mariadbd.log');
    const node: GaleraNode = {
      url: `mysql://${USER}:${PASSWORD}@127.0.0.1:${n.port}/${DB_NAME}`,
      process: { pidFile, command: bins.server, args, ...as, cwd: n.home, logFile },
    };
    const first = n.i === 0;
    const child = await startServer(`galera node${n.i + 1}`, bins.server, first ? [...args, '--wsrep-new-cluster', `--init-file=${initFile}`] : args, {
      ...as,
      cwd: n.home,
      logFile,
      ready: /ready for connections/,
      mayDie: true, // the node-loss test kills one
    });
    track({ name: `galera node${n.i + 1}`, url: node.url, child, stopSignal: 'SIGKILL' });
    galeraPidFiles.push(pidFile);
    await galeraSynced(node.url, n.i + 1);
    started.push(node);
  }
  return started;
}

/** Waits until the node at `url` is Synced in a cluster of (at least) `size` nodes. */
export async function galeraSynced(url: string, size: number, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  type Mysql = typeof import('mysql2/promise');
  const mod = (await import('mysql2/promise')) as Mysql & { default?: Mysql };
  const mysql = typeof mod.createConnection === 'function' ? mod : mod.default!;
  await retry(
    `galera ${url}: synced in a cluster of ${size}`,
    async () => {
      const c = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
      try {
        const [rows] = await c.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_ready')");
        const status = Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, r.Value]));
        if (status.wsrep_local_state_comment !== 'Synced' || Number(status.wsrep_cluster_size) < size || status.wsrep_ready !== 'ON') {
          throw new Error(JSON.stringify(status));
        }
      } finally {
        await c.end();
      }
    },
    timeoutMs,
  );
}

/** Pid files of the Galera nodes: a test may have restarted a node, whose process then is not ours. */
const galeraPidFiles: string[] = [];

function killGaleraPidFiles() {
  for (const file of galeraPidFiles.splice(0)) {
    try {
      process.kill(Number(fs.readFileSync(file, 'utf8').trim()), 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
}

// ---------------------------------------------------------------------------------------------
// lifecycle

const running: Running[] = [];
let tempRoot: string | undefined;
let stopping = false;

function track(r: Running) {
  running.push(r);
}

/** Last-resort cleanup if the process exits without teardown (crash, Ctrl-C). Synchronous only. */
function emergencyCleanup() {
  stopping = true;
  for (const r of running) {
    try {
      r.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  reaper?.kill('SIGKILL');
  killGaleraPidFiles();
  if (tempRoot) fs.rmSync(tempRoot, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * A detached watchdog that kills the servers and deletes their data if this process dies without
 * running any cleanup at all (SIGKILL, OOM). It polls our pid once a second.
 */
let reaper: ChildProcess | undefined;
function startReaper() {
  if (!tempRoot || running.length === 0) return;
  const script = `
    const [ppid, dir, pidFiles, ...pids] = process.argv.slice(1);
    const fs = require('fs');
    setInterval(() => {
      try { process.kill(+ppid, 0); return; } catch {}
      for (const f of pidFiles.split('\n').filter(Boolean)) { try { pids.push(fs.readFileSync(f, 'utf8').trim()); } catch {} }
      for (const p of pids) { try { process.kill(+p, 'SIGKILL'); } catch {} }
      setTimeout(() => { try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 }); } catch {} process.exit(0); }, 500);
    }, 1000);`;
  const pids = running.map((r) => String(r.child.pid));
  reaper = spawn(process.execPath, ['-e', script, String(process.pid), tempRoot, galeraPidFiles.join('\n'), ...pids], {
    stdio: 'ignore',
    detached: true,
  });
  reaper.unref();
}

async function stopAll() {
  stopping = true;
  process.off('exit', emergencyCleanup);
  reaper?.kill('SIGKILL');
  reaper = undefined;
  killGaleraPidFiles();
  await Promise.all(
    running.splice(0).map(
      (r) =>
        new Promise<void>((resolve) => {
          if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
          const t = setTimeout(() => {
            r.child.kill('SIGKILL');
            resolve();
          }, 10_000);
          r.child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          r.child.kill(r.stopSignal);
        }),
    ),
  );
  // postgres' backends may outlive the postmaster by a moment; give rm a few tries
  if (tempRoot) fs.rmSync(tempRoot, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  tempRoot = undefined;
}

function envChoice(name: string): { url?: string; off?: boolean } {
  const v = process.env[name]?.trim();
  if (!v) return {};
  if (/^(off|none|skip|0|false)$/i.test(v)) return { off: true };
  return { url: v };
}

async function provideOne(
  label: string,
  envName: string,
  start: (root: string) => Promise<Running | undefined>,
  root: () => string,
): Promise<string | undefined> {
  const choice = envChoice(envName);
  if (choice.url) {
    log(`${label}: using ${envName}`);
    return choice.url;
  }
  if (choice.off) {
    loud(`${label} disabled by ${envName}: skipping the ${label} dialect tests`);
    return undefined;
  }
  const t0 = Date.now();
  let r: Running | undefined;
  try {
    r = await start(root());
  } catch (e) {
    throw new Error(`${label}: starting a throwaway server failed: ${(e as Error).message}`);
  }
  if (!r) {
    if (isCI) throw new Error(`${label} server binaries not found, and CI=true requires the ${label} dialect tests to run (install it, or set ${envName})`);
    loud(`${label} not found: skipping the ${label} dialect tests (install it, or set ${envName})`);
    return undefined;
  }
  log(`${label}: ${r.url} ready in ${Date.now() - t0} ms`);
  return r.url;
}

/** The Galera cluster: TEST_GALERA_URLS (three comma-separated URLs, or "off"), else a throwaway one. */
async function provideGalera(root: () => string): Promise<GaleraNode[] | undefined> {
  const choice = envChoice('TEST_GALERA_URLS');
  if (choice.url) {
    const urls = choice.url.split(',').map((u) => u.trim()).filter(Boolean);
    if (urls.length !== 3) throw new Error(`TEST_GALERA_URLS: expected three comma-separated URLs, got ${urls.length}`);
    log('Galera: using TEST_GALERA_URLS');
    return urls.map((url) => ({ url }));
  }
  if (choice.off) {
    loud('Galera disabled by TEST_GALERA_URLS: skipping the Galera cluster tests');
    return undefined;
  }
  const t0 = Date.now();
  let nodes: GaleraNode[] | undefined;
  try {
    nodes = await startGalera(root());
  } catch (e) {
    throw new Error(`Galera: starting a throwaway cluster failed: ${(e as Error).message}`);
  }
  if (!nodes) {
    const what = 'mariadbd, galera-4 (libgalera_smm.so), rsync, wsrep_sst_rsync and ss or lsof';
    if (isCI) throw new Error(`Galera: ${what} not all found, and CI=true requires the Galera tests to run (install them, or set TEST_GALERA_URLS)`);
    loud(`Galera: ${what} not all found: skipping the Galera cluster tests (install them, or set TEST_GALERA_URLS)`);
    return undefined;
  }
  log(`Galera: three nodes synced in ${Date.now() - t0} ms`);
  return nodes;
}

export default async function setup(project: TestProject) {
  const root = () => {
    if (!tempRoot) {
      tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'extstore-test-'));
      fs.chmodSync(tempRoot, 0o755); // the unprivileged postgres user must traverse it
      process.on('exit', emergencyCleanup);
    }
    return tempRoot;
  };

  // Start all at once: initdb / install-db are mostly I/O bound.
  const galera = provideGalera(root);
  const results = await Promise.allSettled([
    provideOne('PostgreSQL', 'TEST_PG_URL', startPostgres, root),
    provideOne('MariaDB', 'TEST_MYSQL_URL', startMariaDb, root),
    galera.then(() => undefined),
  ]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length) {
    await stopAll();
    throw failed.length === 1 ? failed[0]!.reason : new AggregateError(failed.map((f) => f.reason), failed.map((f) => String(f.reason)).join('\n'));
  }
  const [pgUrl, mysqlUrl] = results.map((r) => (r as PromiseFulfilledResult<string | undefined>).value);
  startReaper();
  project.provide('pgUrl', pgUrl);
  project.provide('mysqlUrl', mysqlUrl);
  project.provide('galeraNodes', await galera);

  return async () => {
    await stopAll();
  };
}
