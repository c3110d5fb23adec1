/**
 * The CLI's own failures, each with its exit code: the command line was wrong (2), or the operation
 * could not be done (1). Both print one line on stderr, never a stack.
 * @module
 */

/** The command line was wrong (unknown command or option, bad value, bad URL): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The operation could not be done (no connection, missing driver or keys, conflicts): exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
