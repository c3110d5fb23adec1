/**
 * The command table: every subcommand of `extension-storage`, in the order `--help` lists them.
 * A new command is a module exporting a `Command`, added here.
 * @module
 */
import { deleteResource, deleteUser, purgeExpired, purgeExtension } from './cleanup.js';
import type { Command } from './command.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { migrate } from './migrate.js';
import { rotateKeys } from './rotate-keys.js';
import { statsCommand } from './stats.js';

export const COMMANDS: readonly Command[] = [
  migrate,
  rotateKeys,
  statsCommand,
  purgeExtension,
  deleteUser,
  deleteResource,
  purgeExpired,
  exportCommand,
  importCommand,
];
