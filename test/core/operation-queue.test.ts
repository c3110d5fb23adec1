/**
 * The queue of a transaction view on its own: turns in call order, at once when called from within
 * the running operation (where the runtime has AsyncLocalStorage), and what happens without it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExtensionStorageError } from '../../src/index.js';
import { OperationQueue } from '../../src/operation-queue.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** An operation that logs its start and end around a timer turn, and returns `name`. */
function logged(log: string[], name: string, body: () => Promise<unknown> = tick) {
  return async () => {
    log.push(`${name}+`);
    await body();
    log.push(`${name}-`);
    return name;
  };
}

describe('OperationQueue', () => {
  it('runs operations one after another in call order, the first when called', async () => {
    const queue = new OperationQueue(false);
    const log: string[] = [];
    const results = Promise.all(['a', 'b', 'c'].map((name) => queue.run(logged(log, name))));
    expect(log).toEqual(['a+']);
    expect(await results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
  });

  it('at call time, starts every operation when called', async () => {
    const queue = new OperationQueue(true);
    const log: string[] = [];
    const results = Promise.all(['a', 'b'].map((name) => queue.run(logged(log, name))));
    expect(log).toEqual(['a+', 'b+']);
    await results;
  });

  it('runs an operation called from within the running one at once, as part of its turn', async () => {
    const queue = new OperationQueue(false);
    const log: string[] = [];
    const outer = queue.run(logged(log, 'outer', () => queue.run(logged(log, 'inner'))));
    const next = queue.run(logged(log, 'next'));
    await Promise.all([outer, next]);
    expect(log).toEqual(['outer+', 'inner+', 'inner-', 'outer-', 'next+', 'next-']);
  });

  it('closed with drain, waits for every operation called; then refuses new ones, typed', async () => {
    const queue = new OperationQueue(false);
    const log: string[] = [];
    const started = [queue.run(logged(log, 'a')), queue.run(logged(log, 'b'))];
    await queue.close(true);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-']);
    await Promise.all(started);
    const refused = await queue.run(logged(log, 'late')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ExtensionStorageError);
    expect((refused as ExtensionStorageError).code).toBe('VALIDATION');
    expect(log).not.toContain('late+');
  });

  it('closed without drain, waits for the running operation and refuses those not started', async () => {
    const queue = new OperationQueue(false);
    const log: string[] = [];
    const running = queue.run(logged(log, 'a'));
    const waiting = queue.run(logged(log, 'b')).catch((error: unknown) => error);
    await queue.close(false);
    expect(await running).toBe('a');
    expect(((await waiting) as ExtensionStorageError).code).toBe('VALIDATION');
    expect(log).toEqual(['a+', 'a-']);
  });
});

describe('OperationQueue where the runtime has no AsyncLocalStorage', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it('still runs operations in turn; one called from within the running one waits for it (documented)', async () => {
    const getBuiltinModule = vi.spyOn(process, 'getBuiltinModule').mockReturnValue(undefined);
    vi.resetModules();
    const { OperationQueue: Bare } = await import('../../src/operation-queue.js');
    expect(getBuiltinModule).toHaveBeenCalledWith('node:async_hooks');
    const queue = new Bare(false);
    const log: string[] = [];
    let inner: Promise<unknown> | undefined;
    const outer = queue.run(
      logged(log, 'outer', async () => {
        inner = queue.run(logged(log, 'inner'));
        await tick();
      }),
    );
    const next = queue.run(logged(log, 'next'));
    await Promise.all([outer, next, tick().then(() => inner)]);
    // Called (during outer's start) before next: it runs after outer, before next.
    expect(log).toEqual(['outer+', 'outer-', 'inner+', 'inner-', 'next+', 'next-']);
  });
});
