/**
 * The examples run as a host would run them: a child process, which exits non-zero when an outcome it
 * checks is not the expected one.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('examples/authorization.ts: every decision of the SIP-19 style hook is the expected one', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/authorization.ts'], { timeout: 60_000 });
  expect(stdout).toContain('✓ viewer changes the annotation of dashboard 101');
  expect(stdout).not.toContain('✗');
}, 90_000);
