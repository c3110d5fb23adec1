/**
 * `rotate-keys`: re-encrypts every encrypted entry under the current key, with progress, stopping
 * cleanly between batches on SIGINT or SIGTERM.
 * @module
 */
import type { RotationProgress, RotationResult } from '../../rotation.js';
import { integerOption } from '../args.js';
import { print, say } from '../io.js';
import { progress } from '../progress.js';
import { stopOnSignals } from '../signals.js';
import type { Command } from './command.js';

export const rotateKeys: Command = {
  name: 'rotate-keys',
  summary: 're-encrypt every encrypted entry under the current (first) key',
  usage: 'rotate-keys --db <url> [--batch-size N]',
  description: [
    'Re-encrypts every encrypted entry under the first key of the keys variable (--keys-env,',
    'default EXTENSION_STORAGE_KEYS), which must also list the old keys: ["new", "old"]. Rows are',
    'streamed in batches by primary key, each batch written in its own transaction and only where the',
    'row was not rewritten meanwhile, so the application can keep running.',
    '',
    'Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise. Ctrl-C (SIGINT)',
    'or SIGTERM stops after the current batch; running the command again resumes (rows already under',
    'the new key are recognised without decrypting). A second Ctrl-C exits at once.',
    '',
    'Exit code: 0 when every row is under the current key; 1 when some rows could not be re-encrypted',
    '(their ids are listed); 130 / 143 when stopped by SIGINT / SIGTERM.',
  ].join('\n'),
  options: {
    'batch-size': { type: 'string', value: 'N', description: 'rows per batch, 1..10000 (default 100)' },
  },
  async run({ args, io, open }) {
    const batchSize = integerOption(args, 'batch-size', 1, 10_000);
    const session = await open({ keysNeededFor: 'rotate-keys' });
    const stopper = stopOnSignals(io, 'rotate-keys');
    let last: RotationProgress | undefined;
    try {
      const total = (await session.storage.stats()).reduce((sum, row) => sum + row.encryptedRows, 0);
      const display = await progress(io, 'rotate-keys', 'rows', total);
      let result: RotationResult;
      try {
        result = await session.storage.rotateKeys({
          ...(batchSize === undefined ? {} : { batchSize }),
          signal: stopper.signal,
          onProgress: (done) => {
            last = done;
            display.update(done.scanned);
          },
        });
      } catch (error) {
        const stoppedBy = stopper.stoppedBy();
        if (stoppedBy === undefined) throw error;
        display.stop();
        const done = last ?? { scanned: 0, rotated: 0, alreadyCurrent: 0, failed: 0, lastId: 0 };
        say(
          io,
          `rotate-keys: stopped by ${stoppedBy} after ${done.scanned} of ${total} encrypted rows (${done.rotated} rotated, ` +
            `${done.alreadyCurrent} already current, ${done.failed} failed; last id ${done.lastId}). Run rotate-keys again to resume.`,
        );
        return stopper.exitCode(stoppedBy);
      }
      display.stop();
      print(io, `scanned ${result.scanned}, rotated ${result.rotated}, already current ${result.alreadyCurrent}, failed ${result.failed}`);
      if (result.failed === 0) return 0;
      print(io, `failed ids: ${result.failedIds.join(', ')}`);
      say(io, `rotate-keys: ${result.failed} rows could not be re-encrypted: no configured key opens them, or the application kept rewriting them; they were left as they are`);
      return 1;
    } finally {
      stopper.release();
      await session.close();
    }
  },
};
