/**
 * The queue of one transaction view: the operations called on its handles run one after another, in
 * call order, so that an operation's savepoint (a `setMany`, a nested transaction) holds only its own
 * statements and its rollback undoes only its own writes. Written once here for every dialect: a
 * transaction is one connection, and side-by-side operations on it would otherwise interleave.
 * @module
 */
import { asyncContext } from './async-context.js';
import { ValidationError } from './errors.js';
import type { ScopeHandle } from './scope.js';

/** A running operation of a queue, and the one it was called from (within its turn), if any. */
interface Frame {
  readonly queue: OperationQueue;
  readonly parent: Frame | undefined;
  running: boolean;
}

/**
 * Which operations the current code runs within, where the runtime can tell (`AsyncLocalStorage` of
 * Node, Bun, Deno; fetched at run time, never imported, so that other bundles load without it). An
 * operation called from within another operation of the same queue (from `update`'s function, or on
 * the outer view inside a nested transaction's callback) is part of that operation's turn: it runs at
 * once, where waiting for its turn would wait for itself.
 */
const frames = asyncContext<Frame>();

/** Whether the current code runs within a still running operation of `queue`. */
function within(queue: OperationQueue): boolean {
  for (let frame = frames?.getStore(); frame !== undefined; frame = frame.parent) if (frame.queue === queue && frame.running) return true;
  return false;
}

/** What an operation called once its view's transaction has ended gets: typed, before any I/O. */
function ended(): ValidationError {
  return new ValidationError("the transaction of this view has ended (use a transaction's handles only while it runs); nothing was done");
}

const settle = (): void => undefined;
const same = <T>(value: T): T => value;

/** The operations of one transaction view, each started when those called before it have settled. */
export class OperationQueue {
  /** Settles once every operation called so far has settled. */
  #tail: Promise<void> = Promise.resolve();
  /** Operations called and not yet settled. */
  #pending = 0;
  #closed = false;

  /**
   * `atCallTime`: every operation starts when called, without waiting (a host's synchronous transaction
   * on a dialect that `runsAtCallTime`: the host commits when its callback returns, so an operation
   * that waited would run after the commit). The queue then only tracks them, and refuses them once closed.
   */
  constructor(readonly atCallTime: boolean) {}

  /**
   * Runs `operation` now when nothing of the view is running (or the queue is `atCallTime`), else after
   * the operations called before it have settled. Once the queue is closed, rejects with `VALIDATION`.
   */
  run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(ended());
    const now = this.#pending === 0 || this.atCallTime || within(this);
    const previous = this.#tail;
    let done!: () => void;
    const settled = new Promise<void>((resolve) => (done = resolve));
    // Counted and queued before it starts: what it calls during its start waits for it too. Started in
    // turn, an operation settles after those before it; one started at once may overlap them.
    this.#tail = now && this.#pending > 0 ? Promise.all([previous, settled]).then(settle) : settled;
    this.#pending++;
    const result = now ? this.#start(operation) : previous.then(() => (this.#closed ? Promise.reject(ended()) : this.#start(operation)));
    const finished = () => {
      this.#pending--;
      done();
    };
    result.then(finished, finished);
    // A promise of the caller's own: one nobody handles still reports its rejection (the queue's
    // handlers above would otherwise count as handling it).
    return result.then(same);
  }

  /**
   * Closes the queue: operations called from now on are refused. With `drain`, first waits for the
   * operations already called to settle (also those they call meanwhile); without it, those not yet
   * started are refused, and only the running one is waited for. Resolves when nothing runs.
   */
  async close(drain: boolean): Promise<void> {
    if (!drain) this.#closed = true;
    while (this.#pending > 0) await this.#tail;
    // Set in the same turn that found the queue empty: nothing can start in between.
    this.#closed = true;
  }

  /** Calls `operation` (a synchronous throw as a rejection), within a frame of this queue where frames are known. */
  #start<T>(operation: () => Promise<T>): Promise<T> {
    try {
      if (frames === undefined) return operation();
      const frame: Frame = { queue: this, parent: frames.getStore(), running: true };
      const result = frames.run(frame, operation);
      const stop = () => {
        frame.running = false;
      };
      result.then(stop, stop);
      return result;
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/**
 * `handle` with every method call run through `queue` (the method itself runs on `handle`, so the
 * calls it makes on itself, such as `update`'s `get` and `set`, are part of its own turn).
 */
export function queuedHandle(handle: ScopeHandle, queue: OperationQueue): ScopeHandle {
  return new Proxy(handle, {
    get(target, property) {
      const member: unknown = Reflect.get(target, property, target);
      if (typeof member !== 'function') return member;
      const method = member as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => queue.run(() => method.apply(target, args));
    },
  });
}
