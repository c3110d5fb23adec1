/**
 * One run of `extension-storage`: finds the command, parses its line, opens nothing until the line is
 * known good, and turns every failure into one line on stderr and an exit code (2: the command line;
 * 1: the operation).
 * @module
 */
import type { EncryptionKeyBinding } from '../crypto/storage-cipher.js';
import { ExtensionStorageError } from '../errors.js';
import { choiceOption, parseCommandArgs, stringOption } from './args.js';
import { COMMANDS } from './commands/index.js';
import type { Command } from './commands/command.js';
import { parseDatabaseUrl, redact, type DatabaseTarget } from './database.js';
import { CliError, UsageError } from './errors.js';
import { commandHelp, mainHelp } from './help.js';
import { print, say, type Io } from './io.js';
import { DEFAULT_KEYS_ENV, readKeys } from './keys.js';
import { openSession } from './session.js';

const KEY_BINDINGS: readonly EncryptionKeyBinding[] = ['scope', 'none'];

/** Runs the command line `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    say(io, mainHelp(COMMANDS));
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((command) => command.name === rest[0]) : undefined;
    print(io, topic === undefined ? mainHelp(COMMANDS) : commandHelp(topic));
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const what = name.startsWith('-') ? `expected a command before ${JSON.stringify(name)}` : `unknown command ${JSON.stringify(name)}`;
    say(io, `extension-storage: ${what} (commands: ${COMMANDS.map((known) => known.name).join(', ')}; see extension-storage --help)`);
    return 2;
  }
  let target: DatabaseTarget | undefined;
  try {
    const args = parseCommandArgs(command.name, rest, command.options, command.positionals ?? 0);
    if (args.values.help === true) {
      print(io, commandHelp(command));
      return 0;
    }
    target = parseDatabaseUrl(stringOption(args, 'db'));
    const keysEnv = stringOption(args, 'keys-env') ?? DEFAULT_KEYS_ENV;
    const keyBinding = choiceOption(args, 'key-binding', KEY_BINDINGS, 'scope');
    const keys = readKeys(io.env, keysEnv);
    const settings = { target, keys, keysEnv, keyBinding };
    return await command.run({ args, io, target, open: (options) => openSession(settings, options) });
  } catch (error) {
    const password = target === undefined || target.kind === 'sqlite' ? '' : decodeURIComponent(target.url.password);
    const [code, message] = failure(command, error);
    say(io, redact(message, password));
    return code;
  }
}

/** The exit code and the one line a failure prints. */
function failure(command: Command, error: unknown): [number, string] {
  const prefix = `extension-storage ${command.name}`;
  if (error instanceof UsageError) return [2, `${prefix}: ${error.message}`];
  if (error instanceof CliError) return [1, `${prefix}: ${error.message}`];
  // The library's message tells a host to call storage.migrate(); an operator runs the command.
  if (error instanceof ExtensionStorageError && error.code === 'NOT_MIGRATED') {
    return [1, `${prefix}: the table extension_storage does not exist: run extension-storage migrate first`];
  }
  if (error instanceof ExtensionStorageError) {
    const cause = (error.cause as { message?: unknown } | undefined)?.message;
    return [1, `${prefix}: ${error.message}${typeof cause === 'string' ? ` (${cause.split('\n')[0]})` : ''}`];
  }
  return [1, `${prefix}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`];
}
