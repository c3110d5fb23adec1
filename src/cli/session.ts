/**
 * A command's connection: the database of `--db` opened, wrapped in an `ExtensionStorage` with the
 * keys of `--keys-env` and the `--key-binding`.
 * @module
 */
import type { EncryptionKeyBinding } from '../crypto/storage-cipher.js';
import type { Dialect } from '../dialect.js';
import { ExtensionStorage } from '../storage.js';
import { openDatabase, type DatabaseTarget } from './database.js';
import { CliError } from './errors.js';

/** An open storage, and how to close its connection. */
export interface Session {
  readonly storage: ExtensionStorage;
  readonly dialect: Dialect;
  close(): Promise<void>;
}

/** What a command needs of its session. */
export interface SessionOptions {
  /** Create a missing SQLite file (only `migrate`). */
  readonly create?: boolean;
  /** The command needs the keys: fail before connecting when they are absent, saying what for. */
  readonly keysNeededFor?: string;
}

/** The settings of `--db`, `--keys-env` and `--key-binding`. */
export interface SessionSettings {
  readonly target: DatabaseTarget;
  readonly keys: string[] | undefined;
  readonly keysEnv: string;
  readonly keyBinding: EncryptionKeyBinding;
}

/** Opens a session. @throws CliError when keys are needed and absent, or the database cannot be opened. */
export async function openSession(settings: SessionSettings, options: SessionOptions = {}): Promise<Session> {
  if (options.keysNeededFor !== undefined && settings.keys === undefined) {
    throw new CliError(`${options.keysNeededFor} needs the encryption keys: set ${settings.keysEnv} to the key, or to a JSON list of keys (current first)`);
  }
  const database = await openDatabase(settings.target, { create: options.create ?? false });
  const storage = new ExtensionStorage(
    settings.keys === undefined
      ? { dialect: database.dialect }
      : { dialect: database.dialect, encryptionKeys: settings.keys, encryptionKeyBinding: settings.keyBinding },
  );
  return { storage, dialect: database.dialect, close: () => database.close() };
}
