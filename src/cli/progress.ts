/**
 * Progress of a long job on stderr: a cli-progress bar (done / total, rate, ETA) on a terminal, and a
 * plain line at most every few seconds otherwise (logs, CI, `nohup`).
 * @module
 */
import { say, type Io } from './io.js';

/** A job's progress display. */
export interface Progress {
  /** `done` units of work so far. */
  update(done: number): void;
  /** Clears the bar (or prints the last line); call once at the end, whatever the outcome. */
  stop(): void;
}

/** Seconds between two plain progress lines. */
const PLAIN_INTERVAL_MS = 2000;

/**
 * A progress display for `total` units named `unit` (e.g. `rows`), labelled `label`; `null` when the
 * total is unknown (a pipe): then only the count and the rate show. A known total may grow while the
 * job runs (rows written meanwhile): the display follows.
 */
export async function progress(io: Io, label: string, unit: string, total: number | null): Promise<Progress> {
  return io.stderr.isTTY === true && total !== null ? bar(io, label, unit, total) : lines(io, label, unit, total);
}

/** A cli-progress bar, the library loaded only when a terminal shows it. */
async function bar(io: Io, label: string, unit: string, initialTotal: number): Promise<Progress> {
  const { default: cliProgress } = await import('cli-progress');
  let total = initialTotal;
  const started = Date.now();
  const display = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: `${label} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  display.start(total, 0, { rate: 0 });
  return {
    update(done) {
      if (done > total) display.setTotal((total = done));
      display.update(done, { rate: rate(done, started) });
    },
    stop: () => display.stop(),
  };
}

function lines(io: Io, label: string, unit: string, initialTotal: number | null): Progress {
  let total = initialTotal;
  const started = Date.now();
  let last = 0;
  let shown = -1;
  let current = 0;
  const show = () => {
    shown = current;
    const perSecond = rate(current, started);
    if (total === null) {
      say(io, `${label}: ${current} ${unit}, ${perSecond} ${unit}/s`);
      return;
    }
    const percent = total === 0 ? 100 : Math.floor((current / total) * 100);
    const eta = perSecond > 0 ? `, ETA ${Math.ceil((total - current) / perSecond)}s` : '';
    say(io, `${label}: ${current}/${total} ${unit} (${percent}%), ${perSecond} ${unit}/s${eta}`);
  };
  return {
    update(done) {
      current = done;
      if (total !== null) total = Math.max(total, done);
      // The first batch at once (the job has started), then every few seconds.
      if (shown < 0 || Date.now() - last >= PLAIN_INTERVAL_MS) {
        last = Date.now();
        show();
      }
    },
    stop() {
      if (shown !== current) show();
    },
  };
}

/** Units per second since `started`, rounded. */
function rate(done: number, started: number): number {
  const seconds = (Date.now() - started) / 1000;
  return seconds <= 0 ? 0 : Math.round(done / seconds);
}
