/**
 * Ctrl-C (SIGINT) and SIGTERM during a job that works in batches: the first stops it after the current
 * batch (through an AbortSignal the library checks between batches), a second exits at once.
 * @module
 */
import { say, type Io } from './io.js';

/** Exit codes of a run stopped by a signal, as a shell reports a process killed by it (128 + number). */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/** A job's stop switch; `release` once the job is over. */
export interface Stopper {
  /** Fires at the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The signal that stopped the job, if one did. */
  stoppedBy(): StopSignal | undefined;
  /** The exit code for a job stopped by `signal`. */
  exitCode(signal: StopSignal): number;
  release(): void;
}

/** Listens for SIGINT and SIGTERM on behalf of the job named `label` (in the message it prints). */
export function stopOnSignals(io: Io, label: string): Stopper {
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stop = (signal: StopSignal) => {
    if (stoppedBy !== undefined) process.exit(SIGNAL_EXIT_CODES[signal]);
    stoppedBy = signal;
    say(io, `\n${label}: ${signal} received, stopping after the current batch (again to exit at once)`);
    controller.abort();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    stoppedBy: () => stoppedBy,
    exitCode: (signal) => SIGNAL_EXIT_CODES[signal],
    release() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
