#!/usr/bin/env node
/**
 * The `extension-storage` executable (the package's `bin`). Loaded only when run: the library's entry
 * points never import the CLI, its argument parsing, progress bar or tables.
 * @module
 */
import { processIo } from './io.js';
import { main } from './run.js';

process.exitCode = await main(process.argv.slice(2), processIo());
