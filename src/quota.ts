/**
 * Quotas. Each extension's quota is recorded in its usage row, where triggers refuse, in the very
 * statement that makes it, a change that would take usage past it and grows it: the check is exact under
 * any concurrency and costs nothing beyond the usage update every write already makes. This module
 * works out each extension's limits from the options, records them once per process (again whenever
 * they change), and turns the triggers' refusal into a `QuotaExceededError`.
 * @module
 */
import type { Dialect, QuotaLimits } from './dialect.js';
import { QuotaExceededError, ValidationError, type QuotaKind } from './errors.js';
import * as validate from './validation.js';

/** The names a `quota()` result may have. */
const QUOTA_RESULT: ReadonlySet<string> = new Set(['bytes', 'keys']);

/** A per-extension override of the storage-wide quotas; `undefined` keeps them. */
export type QuotaFunction = (extensionId: string) => { readonly bytes?: number; readonly keys?: number } | undefined;

/** The storage-wide quotas, from `limits`. */
export interface QuotaDefaults {
  readonly bytes: number | null;
  readonly keys: number | null;
}

/** The message prefix the triggers raise with, followed by `<kind> <used> <limit>`. */
const REFUSAL = /extension_storage: quota exceeded: (bytes|keys) (\d+) (\d+)/;

function checkedLimit(field: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`"${field}" expected a safe integer ≥ 0, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

/** The storage-wide quotas, validated. */
export function quotaDefaults(limits: { quotaBytesPerExtension?: unknown; quotaKeysPerExtension?: unknown } | undefined): QuotaDefaults {
  return {
    bytes: checkedLimit('limits.quotaBytesPerExtension', limits?.quotaBytesPerExtension),
    keys: checkedLimit('limits.quotaKeysPerExtension', limits?.quotaKeysPerExtension),
  };
}

/** Records each extension's quota in the database before its first write, and again when it changes. */
export class QuotaRecorder {
  readonly #defaults: QuotaDefaults;
  readonly #override: QuotaFunction | undefined;
  /** What this process last recorded per extension, as `bytes/keys`. */
  readonly #recorded = new Map<string, string>();
  /** The signature of the defaults, the only one there is without an override. */
  readonly #defaultSignature: string;

  constructor(defaults: QuotaDefaults, override: QuotaFunction | undefined) {
    this.#defaults = defaults;
    this.#override = override;
    this.#defaultSignature = `${defaults.bytes}/${defaults.keys}`;
  }

  /** The limits in force for an extension: the override's where it gives one, else the defaults. */
  limitsOf(extensionId: string): QuotaLimits {
    let override: ReturnType<QuotaFunction> | undefined;
    try {
      override = this.#override?.(extensionId);
    } catch (error) {
      throw new ValidationError('"quota" threw; nothing was written', { cause: error });
    }
    if (override === undefined) return this.#defaults;
    if (typeof (override as { then?: unknown } | null)?.then === 'function') {
      throw new ValidationError('"quota" expected to return { bytes?, keys? } or undefined synchronously, got a Promise; nothing was written');
    }
    if (typeof override !== 'object' || override === null) {
      throw new ValidationError(`"quota" expected to return { bytes?, keys? } or undefined, got ${override === null ? 'null' : typeof override}`);
    }
    validate.options('quota()', override, QUOTA_RESULT);
    return {
      bytes: override.bytes === undefined ? this.#defaults.bytes : checkedLimit('quota().bytes', override.bytes),
      keys: override.keys === undefined ? this.#defaults.keys : checkedLimit('quota().keys', override.keys),
    };
  }

  /**
   * Records the extension's limits through `dialect` unless this process already did with the same
   * values: `undefined` then, so the write path awaits nothing. `remember: false` (inside a transaction
   * whose outcome this process does not see) records without remembering.
   */
  record(dialect: Dialect, extensionId: string, remember = true): Promise<void> | undefined {
    if (this.#override === undefined && this.#recorded.get(extensionId) === this.#defaultSignature) return undefined;
    const limits = this.limitsOf(extensionId);
    const signature = `${limits.bytes}/${limits.keys}`;
    if (this.#recorded.get(extensionId) === signature) return undefined;
    return dialect.recordQuota(extensionId, limits).then(() => {
      if (remember) this.#recorded.set(extensionId, signature);
    });
  }

  /** Forgets what was recorded (after a rollback that may have undone it). */
  forget(extensionId: string): void {
    this.#recorded.delete(extensionId);
  }
}

/** The trigger's refusal, anywhere in an error's cause chain, as a `QuotaExceededError`; else `undefined`. */
export function quotaRefusal(error: unknown, written?: string): QuotaExceededError | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof QuotaExceededError) return written === undefined ? cause : new QuotaExceededError(cause.kind, cause.used, cause.limit, { cause: cause.cause, written });
    const match = REFUSAL.exec(cause.message);
    if (match) return new QuotaExceededError(match[1] as QuotaKind, Number(match[2]), Number(match[3]), { cause: error, written });
  }
  return undefined;
}
