/**
 * What a command is: its name, help, options and body. Adding a command is one module exporting a
 * `Command` and one line in `index.ts`.
 * @module
 */
import type { OptionSpec, ParsedArgs } from '../args.js';
import type { DatabaseTarget } from '../database.js';
import type { Io } from '../io.js';
import type { Session, SessionOptions } from '../session.js';

/** One subcommand of `extension-storage`. */
export interface Command {
  readonly name: string;
  /** One line, for the command list. */
  readonly summary: string;
  /** What follows `extension-storage` in the usage line, e.g. `rotate-keys --db <url> [--batch-size N]`. */
  readonly usage: string;
  /** What the command does, for `--help`. */
  readonly description: string;
  /** The command's own options (the common ones are added). */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments it takes (default 0). */
  readonly positionals?: number;
  /** Runs the command; resolves to the exit code. Throws UsageError (2), CliError or library errors (1). */
  run(context: CommandContext): Promise<number>;
}

/** What a command gets to work with. */
export interface CommandContext {
  readonly args: ParsedArgs;
  readonly io: Io;
  /** The database `--db` names (already parsed: a bad URL never reaches a command). */
  readonly target: DatabaseTarget;
  /** Opens the database with the keys of `--keys-env`; the caller closes the session. */
  open(options?: SessionOptions): Promise<Session>;
}
