/**
 * Encryption keys from the environment, never from the command line (where `ps` and shell history
 * would show them): one key, or a JSON list of keys, the first the current one.
 * @module
 */
import { CliError, UsageError } from './errors.js';

/** The default environment variable. */
export const DEFAULT_KEYS_ENV = 'EXTENSION_STORAGE_KEYS';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The keys in the variable `name` of `env`, or `undefined` when it is unset or empty. Messages name
 * the variable, never its value.
 * @throws UsageError for a bad variable name, CliError for a value that is neither a key nor a JSON list of keys.
 */
export function readKeys(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  if (!ENV_NAME.test(name)) throw new UsageError(`--keys-env expected an environment variable name, got ${JSON.stringify(name)}`);
  const value = env[name];
  if (value === undefined || value.trim() === '') return undefined;
  if (!value.trimStart().startsWith('[')) return [value];
  let keys: unknown;
  try {
    keys = JSON.parse(value);
  } catch {
    throw new CliError(`${name} starts with "[" but is not a JSON list of keys`);
  }
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'string' && key !== '')) {
    throw new CliError(`${name} expected one key, or a non-empty JSON list of non-empty strings (the current key first)`);
  }
  return keys as string[];
}
