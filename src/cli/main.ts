#!/usr/bin/env node
/**
 * The `extension-storage` executable (the package's `bin`). Loaded only when run: the library's entry
 * points never import the CLI, its argument parsing, progress bar or tables.
 * @module
 */
import { processIo } from './io.js';
import { main } from './run.js';

// A reader that stops early (`export | head`) closes the pipe: end as a process killed by SIGPIPE
// would, without a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(141);
});

process.exitCode = await main(process.argv.slice(2), processIo());
