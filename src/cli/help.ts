/**
 * The `--help` texts, built from the command table and each command's option specs.
 * @module
 */
import { COMMON_OPTIONS, type OptionSpec } from './args.js';
import type { Command } from './commands/command.js';

/** `extension-storage --help`: the commands and the common options. */
export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: extension-storage <command> --db <url> [options]',
    '',
    'Maintenance of the extension_storage table in a host application\'s database.',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options of every command:',
    ...optionLines(COMMON_OPTIONS),
    '',
    'Keys are read from the environment (never from the command line). Run',
    '"extension-storage <command> --help" for a command\'s own options.',
  ].join('\n');
}

/** `extension-storage <command> --help`. */
export function commandHelp(command: Command): string {
  const own = Object.keys(command.options).length === 0 ? [] : ['', 'Options:', ...optionLines(command.options)];
  return [`Usage: extension-storage ${command.usage}`, '', command.description, ...own, '', 'Options of every command:', ...optionLines(COMMON_OPTIONS)].join(
    '\n',
  );
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const names = Object.entries(options).map(([name, spec]) => {
    const long = `--${name}${spec.value === undefined ? '' : ` <${spec.value}>`}`;
    return [spec.short === undefined ? `    ${long}` : `-${spec.short}, ${long}`, spec.description] as const;
  });
  const width = Math.max(...names.map(([name]) => name.length));
  return names.map(([name, description]) => `  ${name.padEnd(width)}  ${description}`);
}
