/**
 * Section `http`: requests/s of GET and PUT of a 1 KiB value through the HTTP handler on `node:http`
 * (`toNodeHandler(createStorageHandler(...))`), beside a hand-written `node:http` route calling the SDK
 * directly, each over its own in-memory SQLite storage in a child process of its own, loaded by
 * autocannon with 32 connections from this process. Rounds alternate between the two servers; the
 * median of the rounds is reported, with the server's CPU time per request (from /proc, Linux), which
 * the load generator sharing the cores does not blur. Target: the handler ≥ 0.85× the hand-written
 * route in requests/s, for GET and for PUT.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { checkTarget, count, printTable, printTargets, ratio, type Target } from './report.js';
import { keyNames, spread, VALUE_BYTES } from './workload.js';

const CONNECTIONS = 32;
const KEYS = 1000;
const PREFIX = '/api/v1/extensions/bench/ext/storage/persistent/global/';

/** Options of the section. */
export interface HttpBenchOptions {
  /** Rounds per server and method (alternating); default 5. */
  readonly rounds?: number;
  /** Seconds per round; default 3. */
  readonly seconds?: number;
}

/** A bench server in a child process of its own. */
interface Server {
  readonly child: ChildProcess;
  readonly port: number;
}

async function startServer(kind: 'handler' | 'direct'): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./http-server.ts', import.meta.url).pathname, kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  for await (const chunk of child.stdout!) {
    output += String(chunk);
    const match = /port (\d+)/.exec(output);
    if (match) return { child, port: Number(match[1]) };
  }
  throw new Error(`the ${kind} bench server did not start`);
}

/** CPU time (user + system) the process has used, in µs; `NaN` where /proc is not there. */
function cpuMicros(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** One autocannon round against `server`, cycling over the keys: requests/s and server CPU µs per request. */
async function round(server: Server, method: 'GET' | 'PUT', seconds: number): Promise<{ rate: number; cpu: number }> {
  const keys = keyNames(KEYS).map((key) => PREFIX + encodeURIComponent(key));
  const body = Buffer.alloc(VALUE_BYTES, 7);
  let i = 0;
  const cpuBefore = cpuMicros(server.child.pid!);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method,
        setupRequest: (request) => ({
          ...request,
          path: keys[spread(i++, KEYS)]!,
          ...(method === 'PUT' ? { body, headers: { 'content-type': 'application/octet-stream' } } : {}),
        }),
      },
    ],
  });
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0) throw new Error(`${method} on port ${server.port}: ${failures} of ${result.requests.total} requests failed`);
  return { rate: result.requests.average, cpu: (cpuMicros(server.child.pid!) - cpuBefore) / result.requests.total };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runHttpBench({ rounds = 5, seconds = 3 }: HttpBenchOptions = {}): Promise<void> {
  const servers: Server[] = [];
  try {
    const handlerServer = await startServer('handler');
    servers.push(handlerServer);
    const directServer = await startServer('direct');
    servers.push(directServer);
    const rows: string[][] = [];
    const targets: Target[] = [];
    for (const method of ['GET', 'PUT'] as const) {
      await round(handlerServer, method, 1); // warm-up, unmeasured
      await round(directServer, method, 1);
      const handler: { rate: number; cpu: number }[] = [];
      const direct: { rate: number; cpu: number }[] = [];
      for (let r = 0; r < rounds; r++) {
        // Alternating order, so drift hits both alike.
        if (r % 2 === 0) {
          handler.push(await round(handlerServer, method, seconds));
          direct.push(await round(directServer, method, seconds));
        } else {
          direct.push(await round(directServer, method, seconds));
          handler.push(await round(handlerServer, method, seconds));
        }
      }
      const paired = median(handler.map((h, r) => h.rate / direct[r]!.rate));
      const cpuRatio = median(handler.map((h, r) => direct[r]!.cpu / h.cpu));
      const micros = (values: { cpu: number }[]) => (Number.isFinite(median(values.map((v) => v.cpu))) ? median(values.map((v) => v.cpu)).toFixed(0) : 'n/a');
      rows.push([`${method} 1 KiB`, 'hand-written node:http route', count(median(direct.map((d) => d.rate))), '1.00×', micros(direct), '1.00×']);
      rows.push([`${method} 1 KiB`, 'createStorageHandler + toNodeHandler', count(median(handler.map((h) => h.rate))), ratio(paired), micros(handler), Number.isFinite(cpuRatio) ? ratio(cpuRatio) : 'n/a']);
      targets.push(checkTarget('http', `${method}: handler ≥ 0.85× hand-written route (req/s)`, paired, 0.85));
    }
    printTable(
      `HTTP on node:http, in-memory SQLite, ${CONNECTIONS} connections (autocannon), median of ${rounds} rounds × ${seconds} s`,
      [
        { header: 'operation' },
        { header: 'server' },
        { header: 'req/s', align: 'right' },
        { header: 'vs route', align: 'right' },
        { header: 'server CPU µs/req', align: 'right' },
        { header: 'vs route', align: 'right' },
      ],
      rows,
      ['ratios: medians of the round-by-round ratios (rounds alternate between the servers); CPU ratio = route µs / handler µs'],
    );
    printTargets('http targets', targets);
  } finally {
    for (const { child } of servers) {
      child.kill();
      await once(child, 'exit').catch(() => undefined);
    }
  }
}
