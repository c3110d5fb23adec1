/**
 * Command-line arguments, parsed with `node:util`'s `parseArgs`: the options every command takes, the
 * command's own, and usage errors (exit code 2) worded in one line.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ValidationError } from '../errors.js';
import * as validate from '../validation.js';
import { UsageError } from './errors.js';

/** An option as `parseArgs` declares it, with its help text. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's name in help (`N`, `file`), for string options. */
  readonly value?: string;
  readonly description: string;
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  db: {
    type: 'string',
    value: 'url',
    description: 'the database: postgres://…, mysql://… (MariaDB too), sqlite:./app.db or a file path',
  },
  'keys-env': {
    type: 'string',
    value: 'name',
    description: 'environment variable holding the encryption keys: one key, or a JSON list, first = current (default EXTENSION_STORAGE_KEYS)',
  },
  'key-binding': {
    type: 'string',
    value: 'scope|none',
    description: "the storage's encryptionKeyBinding (default scope)",
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies Record<string, OptionSpec>;

/** What a command's line parsed to. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * Parses `args` (after the command name) against the common options and `options`.
 * @throws UsageError for an unknown option, a missing value, an option given twice or an extra argument.
 */
export function parseCommandArgs(command: string, args: readonly string[], options: Readonly<Record<string, OptionSpec>>, maxPositionals: number): ParsedArgs {
  const config: ParseArgsConfig['options'] = {};
  const all: Record<string, OptionSpec> = { ...COMMON_OPTIONS, ...options };
  for (const [name, spec] of Object.entries(all)) {
    config[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: true, tokens: true });
  } catch (error) {
    throw new UsageError(`${describeParseError(error)} (see extension-storage ${command} --help)`);
  }
  // parseArgs keeps the last of a repeated option; two `--db` are more likely a mistake than a choice.
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) throw new UsageError(`option --${token.name} given twice (see extension-storage ${command} --help)`);
    seen.add(token.name);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])} (see extension-storage ${command} --help)`);
  }
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

/** parseArgs' messages are several sentences long: keep the first line, in our words. */
function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const option = /'(-[^' ]+)/.exec(message ?? '')?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? ''}`.trimEnd();
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option ${option ?? ''} needs a value`;
  return (message ?? String(error)).split('\n')[0]!;
}

/** A string option, or undefined when absent. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A string option that must be one of `choices`. */
export function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const value = stringOption(args, name);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** An integer option in `min..max`. */
export function integerOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`--${name} expected an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** `--extension`: an extension id, checked before the command connects. */
export function extensionOption(args: ParsedArgs): string | undefined {
  const value = stringOption(args, 'extension');
  if (value === undefined) return undefined;
  try {
    return validate.extensionId(value);
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(`--extension: ${error.message}`);
    throw error;
  }
}
