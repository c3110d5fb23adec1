/**
 * Scope handles: the operations on one extension's global, user or resource space. A handle holds no
 * connection and does no I/O until an operation is called.
 * @module
 */
import { decodeCursor, encodeCursor, type CursorContext } from './cursor.js';
import type { Dialect, Expected, Row, RowInfo, RowWrite, Scope } from './dialect.js';
import { ConflictError, EncryptionKeyMissingError, ValidationError } from './errors.js';
import { listingRange } from './key-range.js';
import { backoff, retries as retryCount } from './retry.js';
import {
  DELETE_OPTIONS,
  ENTRY_WRITE,
  GET_JSON_OPTIONS,
  INCREMENT_OPTIONS,
  LIST_FILTER,
  LIST_OPTIONS,
  SET_JSON_OPTIONS,
  SET_OPTIONS,
  UPDATE_JSON_OPTIONS,
  UPDATE_OPTIONS,
  UPDATE_RESULT,
} from './option-names.js';
import { quotaRefusal, type QuotaRecorder } from './quota.js';
import { authorizationRequest, checkAuthorized, type Authorize, type StorageAction } from './authorization.js';
import type { RowCipher } from './row-cipher.js';
import { conform } from './schema-check.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type {
  DeleteOptions,
  Entry,
  EntryInfo,
  EntryWrite,
  IncrementOptions,
  ListFilter,
  ListOptions,
  Page,
  SetOptions,
  UpdateOptions,
  UpdateResult,
  Value,
} from './types.js';
import * as validate from './validation.js';
import { ownedBytes } from './bytes.js';

const DEFAULT_PAGE_SIZE = 25;
const OCTET_STREAM = 'application/octet-stream';
const TEXT_UTF8 = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
const DEFAULT_UPDATE_RETRIES = 5;
/** Most keys one batch call (`getMany`, `setMany`, `deleteMany`) takes. */
export const MAX_BATCH_KEYS = 1000;
// ignoreBOM: a leading U+FEFF is part of the stored text, not a marker to strip.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** What a write requires of the stored entry: nothing, that there is none, or that it is the one expected. */
type Condition = null | 'absent' | Expected;

/** What every handle of one storage shares. */
export interface StorageContext {
  readonly dialect: Dialect;
  readonly maxValueBytes: number;
  readonly cipher: RowCipher | null;
  /** The clock that decides expiry. */
  readonly now: () => Date;
  /** Records each extension's quota before its first write. */
  readonly quota: QuotaRecorder;
  /** The host's authorization hook, or `null` (everything the handle addresses is allowed). */
  readonly authorize: Authorize | null;
  /**
   * Whether `dialect` runs inside a transaction (the library's or the host's), whose outcome the
   * handles do not see: a quota recorded there is recorded again next time, in case it rolled back.
   */
  readonly transactional: boolean;
}

/** Options of `getJSON`. */
export interface GetJSONOptions<T> {
  /** A Standard Schema (zod, valibot, arktype, …) the stored value must satisfy. */
  readonly schema?: StandardSchemaV1<unknown, T>;
}

/** Options of `setJSON`; with a `schema`, the value must have the schema's input type. */
export interface SetJSONOptions<S extends StandardSchemaV1 = StandardSchemaV1> extends Omit<SetOptions, 'valueType'> {
  /** Defaults to `application/json`. */
  readonly valueType?: string;
  /** A Standard Schema the value is checked against before writing; its output is what is stored. */
  readonly schema?: S;
}

/** Options of `updateJSON`. */
export interface UpdateJSONOptions<T> extends UpdateOptions, GetJSONOptions<T> {}

/**
 * Reads and writes the entries of one scope.
 * @example
 * await ext.global.set('config', '{"theme":"dark"}', { valueType: 'application/json' });
 * const text = await ext.global.getText('config');
 */
export class ScopeHandle {
  readonly #context: StorageContext;
  readonly #resolve: () => { scope: Scope; userId: string | null };

  /** @internal Handles come from `storage.extension(...)`. */
  constructor(context: StorageContext, resolve: () => { scope: Scope; userId: string | null }) {
    this.#context = context;
    this.#resolve = resolve;
  }

  /** The entry with its value, or `null`. */
  async get(key: string): Promise<Entry | null> {
    const checkedKey = validate.key(key);
    const { scope, userId } = this.#resolve();
    const allowed = this.#authorize('read', scope, userId, [checkedKey]);
    if (allowed) await allowed;
    const row = liveRow(await this.#context.dialect.get(scope, checkedKey), this.#context.now());
    if (row === undefined) return null;
    const { cipher } = this.#context;
    const value = row.isEncrypted ? requireCipher(cipher, 'read').decrypt(scope, checkedKey, row.value) : row.value;
    return toEntry(row, ownedBytes(value));
  }

  /** The value's bytes, or `null`. */
  async getValue(key: string): Promise<Uint8Array<ArrayBuffer> | null> {
    return (await this.get(key))?.value ?? null;
  }

  /** The value decoded as UTF-8, or `null`; a value that is not UTF-8 is a `VALIDATION` error. */
  async getText(key: string): Promise<string | null> {
    const value = await this.getValue(key);
    return value === null ? null : decodeText(key, value);
  }

  /**
   * The value parsed as JSON (and checked against `schema` when given), or `null`.
   * @example
   * const prefs = await ext.user.getJSON('prefs', { schema: z.object({ theme: z.string() }) });
   */
  async getJSON<T = unknown>(key: string, options?: GetJSONOptions<T>): Promise<T | null> {
    const { schema } = validate.options('options', options, GET_JSON_OPTIONS);
    if (schema !== undefined) validate.standardSchema('schema', schema);
    validate.key(key);
    const text = await this.getText(key);
    if (text === null) return null;
    return parseJSON(key, text, schema);
  }

  /**
   * Creates or replaces an entry: value, value type, category and description all take the new values.
   * Returns the written entry's metadata. With a condition (at most one of `ifVersion`, `ifAbsent`,
   * `ifMatch`), writes only if the stored entry meets it, checked by the database in the writing
   * statement; else throws `CONFLICT` (`ConflictError`, with `currentVersion`) and writes nothing.
   * With `ttl` (milliseconds) or `expiresAt`, the entry expires then: from that time it is absent to
   * every read, listing, count and condition, and the next write makes a new entry (new `uuid`,
   * version 1). An entry that has expired counts toward usage until purged or written over.
   * @example
   * await ext.user.set('doc', text, { ifMatch: read.etag });
   * await ext.user.set('session', token, { ttl: 15 * 60_000 });
   */
  async set(key: string, value: Value, setOptions?: SetOptions): Promise<EntryInfo> {
    const options = validate.options('options', setOptions, SET_OPTIONS);
    const checkedKey = validate.key(key);
    const condition = writeCondition(options);
    const bytes = validate.value(value, this.#context.maxValueBytes);
    const valueType = validate.valueType(options.valueType ?? (typeof value === 'string' ? TEXT_UTF8 : OCTET_STREAM));
    const category = validate.category(options.category);
    const description = validate.description(options.description);
    const encrypt = validate.flag('encrypt', options.encrypt);
    const now = this.#context.now();
    const expiresAt = validate.expiry(options.ttl, options.expiresAt, now);
    const { scope, userId } = this.#resolve();
    const allowed = this.#authorize('write', scope, userId, [checkedKey]);
    if (allowed) await allowed;
    const stored = encrypt ? requireCipher(this.#context.cipher, 'write').encrypt(scope, checkedKey, bytes) : bytes;
    const { dialect } = this.#context;
    const recording = this.#recordQuota(dialect, scope.extensionId);
    if (recording?.before) await recording.before;
    // One literal, not a spread of `scope` plus new keys: the spread costs ~17 µs per call on Node 20.
    const write: RowWrite = {
      extensionId: scope.extensionId,
      userId: scope.userId,
      resourceType: scope.resourceType,
      resourceId: scope.resourceId,
      key: checkedKey,
      value: stored,
      valueType,
      category,
      description,
      isEncrypted: encrypt,
      size: bytes.byteLength,
      uuid: crypto.randomUUID(),
      now,
      writtenBy: userId,
      expiresAt,
    };
    let row: RowInfo;
    try {
      row = condition === null ? await dialect.upsert(write) : await this.#writeIf(dialect, write, condition);
    } catch (error) {
      throw quotaRefusal(error) ?? error;
    }
    if (recording?.after) await recording.after;
    return toEntryInfo(row);
  }

  /** Writes under `condition`, or throws `CONFLICT` with the version found. */
  async #writeIf(dialect: Dialect, write: RowWrite, condition: 'absent' | Expected): Promise<RowInfo> {
    const row = condition === 'absent' ? await dialect.insertIfAbsent(write) : await dialect.replaceIf(write, condition);
    if (row !== undefined) return row;
    throw await conflict(dialect, write, write.key, write.now, condition === 'absent' ? '"ifAbsent": the entry exists' : conditionMessage(condition));
  }

  /**
   * Stores `value` as JSON (after checking it against `schema` when given: a value that does not have
   * the schema's input type does not compile). A value `JSON.stringify` refuses (a BigInt, a cycle) or
   * turns into nothing is a `VALIDATION` error.
   * @example
   * await ext.user.setJSON('prefs', { theme: 'dark' }, { schema: z.object({ theme: z.enum(['dark', 'light']) }) });
   */
  async setJSON<S extends StandardSchemaV1 = StandardSchemaV1>(
    key: string,
    value: NoInfer<StandardSchemaV1.InferInput<S>>,
    jsonOptions?: SetJSONOptions<S>,
  ): Promise<EntryInfo> {
    const { schema, ...setOptions } = validate.options('options', jsonOptions, SET_JSON_OPTIONS);
    if (schema !== undefined) validate.standardSchema('schema', schema);
    validate.key(key);
    // The schema checks the value; what is stored is the value given (its input), so that getJSON with
    // the same schema reads it back (a transforming schema's output need not be its input).
    if (schema) await conform(schema, value, key);
    const text = serialize(value);
    return this.set(key, text, { ...setOptions, valueType: setOptions.valueType ?? JSON_TYPE });
  }

  /**
   * Removes an entry; `true` when there was one. With `ifVersion` or `ifMatch`, removes it only if it is
   * the entry expected (then returns `true`), else throws `CONFLICT` and removes nothing.
   */
  async delete(key: string, deleteOptions?: DeleteOptions): Promise<boolean> {
    const checkedKey = validate.key(key);
    const options = validate.options('options', deleteOptions, DELETE_OPTIONS);
    const { scope, userId } = this.#resolve();
    const allowed = this.#authorize('delete', scope, userId, [checkedKey]);
    if (allowed) await allowed;
    const { dialect } = this.#context;
    const now = this.#context.now();
    if (options.ifVersion === undefined && options.ifMatch === undefined) return dialect.delete(scope, checkedKey, now);
    const expected = writeCondition(options) as Expected;
    if (await dialect.deleteIf(scope, checkedKey, expected, now)) return true;
    throw await conflict(dialect, scope, checkedKey, now, conditionMessage(expected));
  }

  /**
   * Read-modify-write: reads the entry, calls `fn` with it (or `null`), and writes what `fn` returns
   * only if the entry is still the one read (`ifMatch`, or `ifAbsent` when there was none). On a
   * `CONFLICT` it waits a jittered moment, reads again and calls `fn` again, up to `retries` times
   * (default 5), then throws the last `ConflictError`. What `fn` leaves out (value type, category,
   * description, encryption, expiry) stays as the entry had it. Returns the written entry's metadata.
   * @example
   * await ext.global.update('title', (entry) => (entry ? decode(entry.value) : '') + '!');
   */
  async update(key: string, fn: (current: Entry | null) => UpdateResult | Promise<UpdateResult>, updateOptions?: UpdateOptions): Promise<EntryInfo> {
    const checkedKey = validate.key(key);
    if (typeof fn !== 'function') throw new ValidationError(`"fn" expected a function, got ${typeof fn}`);
    const retries = retryCount(validate.options('options', updateOptions, UPDATE_OPTIONS).retries, DEFAULT_UPDATE_RETRIES);
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(checkedKey);
      const result = await fn(current);
      const next = typeof result === 'string' || result instanceof Uint8Array ? { value: result } : validate.options('result', result, UPDATE_RESULT);
      const options: SetOptions = {
        valueType: next.valueType ?? current?.valueType,
        category: next.category === undefined ? current?.category : next.category,
        description: next.description === undefined ? current?.description : next.description,
        encrypt: next.encrypt ?? current?.encrypted,
        ...keptExpiry(next, current),
        ifAbsent: current === null ? true : undefined,
        ifMatch: current === null ? undefined : current.etag,
      };
      try {
        return await this.set(checkedKey, next.value as Value, options);
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= retries) throw error;
      }
      await backoff(attempt);
    }
  }

  /**
   * `update` on a JSON value: `fn` gets the parsed value (checked against `schema` when given) or
   * `null`, and returns the next value, stored as `application/json`. Returns the value written.
   * @example
   * const n = await ext.global.updateJSON<Stats>('stats', (s) => ({ hits: (s?.hits ?? 0) + 1 }), { schema });
   */
  async updateJSON<T>(key: string, fn: (current: T | null) => T | Promise<T>, jsonOptions?: UpdateJSONOptions<T>): Promise<T> {
    const { schema, retries } = validate.options('options', jsonOptions, UPDATE_JSON_OPTIONS);
    if (schema !== undefined) validate.standardSchema('schema', schema);
    if (typeof fn !== 'function') throw new ValidationError(`"fn" expected a function, got ${typeof fn}`);
    let written!: T;
    await this.update(
      key,
      async (entry) => {
        const current = entry === null ? null : await parseJSON(key, decodeText(key, entry.value), schema);
        const next = await fn(current);
        written = schema ? await conform(schema, next, key) : next;
        return { value: serialize(written), valueType: entry?.valueType ?? JSON_TYPE };
      },
      { retries },
    );
    return written;
  }

  /**
   * Adds `by` (a safe integer, default 1) to the integer the entry holds, atomically in the database
   * (no increment is lost under any concurrency), and returns the new value. A missing entry starts at
   * 0. The value is stored as decimal text with value type `application/json` (`getJSON` reads a
   * number); category and description stay. An entry that is encrypted, is not the decimal text of a
   * safe integer, or would pass ±`Number.MAX_SAFE_INTEGER` is a `VALIDATION` error, and nothing is written.
   * An expired counter starts again at 0; `ttl` / `expiresAt` give the expiry of a counter this call
   * creates, and a live counter keeps its own (a fixed window, as Redis' `INCR` with `EXPIRE NX`).
   * @example
   * const views = await ext.resource('dashboard', id).increment('views');
   * const hits = await ext.user.increment('requests', 1, { ttl: 60_000 }); // per minute
   */
  async increment(key: string, by: number = 1, incrementOptions?: IncrementOptions): Promise<number> {
    const checkedKey = validate.key(key);
    if (typeof by !== 'number' || !Number.isSafeInteger(by)) {
      throw new ValidationError(`"by" expected a safe integer, got ${typeof by === 'number' ? by : typeof by}`);
    }
    const options = validate.options('options', incrementOptions, INCREMENT_OPTIONS);
    const now = this.#context.now();
    const expiresAt = validate.expiry(options.ttl, options.expiresAt, now);
    const { scope, userId } = this.#resolve();
    // The new value comes back: the caller must be allowed to read it too.
    for (const action of ['write', 'read'] as const) {
      const allowed = this.#authorize(action, scope, userId, [checkedKey]);
      if (allowed) await allowed;
    }
    const { dialect } = this.#context;
    const recording = this.#recordQuota(dialect, scope.extensionId);
    if (recording?.before) await recording.before;
    const value = encoder.encode(String(by));
    const row = await dialect.increment({
      extensionId: scope.extensionId,
      userId: scope.userId,
      resourceType: scope.resourceType,
      resourceId: scope.resourceId,
      key: checkedKey,
      value,
      valueType: JSON_TYPE,
      category: null,
      description: null,
      isEncrypted: false,
      size: value.byteLength,
      uuid: crypto.randomUUID(),
      now,
      writtenBy: userId,
      expiresAt,
      by,
    }).catch((error: unknown) => {
      throw quotaRefusal(error) ?? error;
    });
    if (recording?.after) await recording.after;
    if (row !== undefined) return Number(decoder.decode(row.value));
    const current = await dialect.get(scope, checkedKey);
    throw new ValidationError(
      current?.isEncrypted
        ? '"increment" cannot add to an encrypted entry; nothing was written'
        : `"increment" expected an entry holding the decimal text of a safe integer, and a sum within ±${Number.MAX_SAFE_INTEGER}; nothing was written`,
    );
  }

  /**
   * The entries of `keys` (at most 1,000), in the order of `keys`, `null` where there is none; one
   * round trip to the database.
   */
  async getMany(keys: readonly string[]): Promise<(Entry | null)[]> {
    const checked = batchKeys(keys);
    if (checked.length === 0) return [];
    const { scope, userId } = this.#resolve();
    const allowed = this.#authorize('read', scope, userId, checked);
    if (allowed) await allowed;
    const rows = await this.#context.dialect.getMany(scope, [...new Set(checked)]);
    const now = this.#context.now();
    const byKey = new Map<string, Row>();
    for (const row of rows) if (liveRow(row, now)) byKey.set(row.key, row);
    return checked.map((key) => {
      const row = byKey.get(key);
      if (row === undefined) return null;
      const value = row.isEncrypted ? requireCipher(this.#context.cipher, 'read').decrypt(scope, key, row.value) : row.value;
      return toEntry(row, ownedBytes(value));
    });
  }

  /**
   * Writes every entry or none (in one transaction), each as `set` would, conditions included. Every
   * entry is validated before anything is written; a key may appear once. At most 1,000 entries.
   * Returns the written entries' metadata in the order given.
   * @example
   * await ext.user.setMany([{ key: 'a', value: '1' }, { key: 'b', value: '2', ifAbsent: true }]);
   */
  async setMany(entries: readonly EntryWrite[]): Promise<EntryInfo[]> {
    if (!Array.isArray(entries) || entries.length > MAX_BATCH_KEYS) {
      throw new ValidationError(`"entries" expected an array of at most ${MAX_BATCH_KEYS} entries, got ${Array.isArray(entries) ? entries.length : typeof entries}`);
    }
    if (entries.length === 0) return [];
    const writes: { write: RowWrite; condition: Condition }[] = [];
    const now = this.#context.now();
    for (let index = 0; index < entries.length; index++) writes.push(this.#batchWrite(entries[index]!, index, now));
    const seen = new Set<string>();
    for (const { write } of writes) {
      if (seen.has(write.key)) throw new ValidationError('"entries" expected each key once, got one twice');
      seen.add(write.key);
    }
    const { scope, userId } = this.#resolve();
    const allowed = this.#authorize('write', scope, userId, writes.map(({ write }) => write.key));
    if (allowed) await allowed;
    const { dialect } = this.#context;
    const recording = this.#recordQuota(dialect, scope.extensionId);
    if (recording?.before) await recording.before;
    const written = await dialect.transaction(async (tx) => {
      // Every statement is issued at once (SQLite runs them at call time); all settle before the transaction ends.
      const results = await Promise.allSettled(
        writes.map(({ write, condition }) => (condition === null ? tx.upsert(write) : this.#writeIf(tx, write, condition))),
      );
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw quotaRefusal(failed.reason) ?? failed.reason;
      return results.map((result) => toEntryInfo((result as PromiseFulfilledResult<RowInfo>).value));
    });
    if (recording?.after) await recording.after;
    return written;
  }

  /** One entry of `setMany`, validated as `set` validates its arguments. */
  #batchWrite(entry: EntryWrite, index: number, now: Date): { write: RowWrite; condition: Condition } {
    const { key, value, ...options } = validate.options(`entries[${index}]`, entry, ENTRY_WRITE);
    const checkedKey = validate.key(key, `entries[${index}].key`);
    const condition = writeCondition(options);
    const bytes = validate.value(value as Value, this.#context.maxValueBytes);
    const encrypt = validate.flag('encrypt', options.encrypt);
    const expiresAt = validate.expiry(options.ttl, options.expiresAt, now, `entries[${index}].`);
    const { scope, userId } = this.#resolve();
    const write: RowWrite = {
      extensionId: scope.extensionId,
      userId: scope.userId,
      resourceType: scope.resourceType,
      resourceId: scope.resourceId,
      key: checkedKey,
      value: encrypt ? requireCipher(this.#context.cipher, 'write').encrypt(scope, checkedKey, bytes) : bytes,
      valueType: validate.valueType(options.valueType ?? (typeof value === 'string' ? TEXT_UTF8 : OCTET_STREAM)),
      category: validate.category(options.category),
      description: validate.description(options.description),
      isEncrypted: encrypt,
      size: bytes.byteLength,
      uuid: crypto.randomUUID(),
      now,
      writtenBy: userId,
      expiresAt,
    };
    return { write, condition };
  }

  /** Removes the entries of `keys` (at most 1,000) in one statement; returns how many there were. */
  async deleteMany(keys: readonly string[]): Promise<number> {
    const checked = batchKeys(keys);
    if (checked.length === 0) return 0;
    const { scope, userId } = this.#resolve();
    const allowed = this.#authorize('delete', scope, userId, checked);
    if (allowed) await allowed;
    return this.#context.dialect.deleteMany(scope, [...new Set(checked)], this.#context.now());
  }

  /**
   * One page of entries (metadata only) in key order. Pages follow each other by key, not by offset,
   * so every page costs the same.
   * @example
   * let cursor = null;
   * do { const page = await scope.list({ prefix: 'cfg/', cursor }); cursor = page.nextCursor; } while (cursor);
   */
  async list(listOptions?: ListOptions): Promise<Page> {
    const options = validate.options('options', listOptions, LIST_OPTIONS);
    const limit = validate.limit(options.limit ?? DEFAULT_PAGE_SIZE);
    const checked = this.#filter(options);
    const filter = checked instanceof Promise ? await checked : checked;
    const afterKey = options.cursor === undefined || options.cursor === null ? null : decodeCursor(filter, options.cursor);
    const range = listingRange(filter.prefix, afterKey);
    const rows = await this.#context.dialect.list(filter.scope, { category: filter.category, range, now: this.#context.now() }, limit + 1);
    const items = rows.slice(0, limit).map(toEntryInfo);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(filter, last.key) : null };
  }

  /** How many entries `list` with the same filters would return across all pages. */
  async count(filter?: ListFilter): Promise<number> {
    const checked = this.#filter(validate.options('filter', filter, LIST_FILTER));
    const context = checked instanceof Promise ? await checked : checked;
    return this.#context.dialect.count(context.scope, { category: context.category, range: listingRange(context.prefix, null), now: this.#context.now() });
  }

  /** The listing's scope and filters, after the host's hook allowed `list` there. */
  /**
   * A promise only when the hook answers with one: a listing in a host's synchronous SQLite transaction
   * must issue its statement before its first `await` (see `#authorize`).
   */
  #filter(filter: ListFilter): CursorContext | Promise<CursorContext> {
    const category = validate.category(filter.category);
    const prefix = filter.prefix === undefined ? '' : validate.prefix(filter.prefix);
    const { scope, userId } = this.#resolve();
    const context: CursorContext = { scope, category, prefix };
    const allowed = this.#authorize('list', scope, userId, [undefined]);
    return allowed ? allowed.then(() => context) : context;
  }

  /**
   * Asks the host's hook about each key in turn (`undefined` for a listing); `FORBIDDEN` at the first it
   * refuses. A promise only once the hook answers with one: without a hook, or with a synchronous one,
   * the caller awaits nothing, since on SQLite a write in a host's synchronous transaction must run its
   * statement before its first `await`.
   */
  #authorize(action: StorageAction, scope: Scope, userId: string | null, keys: readonly (string | undefined)[]): Promise<void> | undefined {
    const hook = this.#context.authorize;
    if (hook === null) return undefined;
    for (let index = 0; index < keys.length; index++) {
      const pending = checkAuthorized(hook, authorizationRequest(action, scope, userId, keys[index]));
      if (pending) return pending.then(() => this.#authorize(action, scope, userId, keys.slice(index + 1)));
    }
    return undefined;
  }

  /**
   * Records the extension's quota before a write (see `QuotaRecorder`). Where the dialect runs
   * statements when called (SQLite), the recording has already run when this returns and the write may
   * follow at once, so that a write in a host's synchronous transaction still runs at call time: the
   * promise returned then only reports errors, after the write. Elsewhere the write waits for it.
   */
  #recordQuota(dialect: Dialect, extensionId: string): { before?: Promise<void>; after?: Promise<void> } | undefined {
    const recording = this.#context.quota.record(dialect, extensionId, !this.#context.transactional);
    if (recording === undefined) return undefined;
    if (!dialect.runsAtCallTime) return { before: recording };
    recording.catch(() => undefined); // judged after the write
    return { after: recording };
  }
}

function requireCipher(cipher: RowCipher | null, purpose: 'read' | 'write'): RowCipher {
  if (cipher) return cipher;
  throw new EncryptionKeyMissingError(
    purpose === 'write'
      ? '"encrypt" needs the storage option "encryptionKeys"; nothing was written'
      : 'an encrypted entry needs the storage option "encryptionKeys" to be read',
  );
}

/**
 * The condition of a write's options, validated: `ifVersion` (version only), `ifMatch` (identity and
 * version, from an `etag`) or `ifAbsent`; at most one of them.
 */
function writeCondition(options: Partial<SetOptions>): Condition {
  const { ifVersion, ifAbsent, ifMatch } = options;
  if (ifVersion === undefined && ifAbsent === undefined && ifMatch === undefined) return null;
  const given = (ifVersion === undefined ? 0 : 1) + (ifAbsent === undefined || ifAbsent === false ? 0 : 1) + (ifMatch === undefined ? 0 : 1);
  if (given > 1) throw new ValidationError('"ifVersion", "ifAbsent" and "ifMatch" expected at most one of them, got several');
  if (ifVersion !== undefined) {
    if (typeof ifVersion !== 'number' || !Number.isSafeInteger(ifVersion) || ifVersion < 1) {
      throw new ValidationError(`"ifVersion" expected a positive integer, got ${typeof ifVersion === 'number' ? ifVersion : typeof ifVersion}`);
    }
    return { version: ifVersion, uuid: null };
  }
  if (ifMatch !== undefined) return parseEtag(ifMatch);
  return validate.flag('ifAbsent', ifAbsent) ? 'absent' : null;
}

const ETAG = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([1-9][0-9]{0,15})$/;

/** An entry's tag: its identity and its version. */
function etagOf(uuid: string, version: number): string {
  return `${uuid}.${version}`;
}

function parseEtag(input: unknown): Expected {
  const match = typeof input === 'string' ? ETAG.exec(input) : null;
  if (match === null) throw new ValidationError('"ifMatch" expected the etag of an entry');
  return { uuid: match[1]!, version: Number(match[2]) };
}

function conditionMessage(expected: Expected): string {
  return expected.uuid === null ? '"ifVersion": the entry is not at that version' : '"ifMatch": the entry is not the one tagged';
}

/**
 * The `ConflictError` of a failed condition, with the version the entry has now (read after the fact,
 * for the report only; `null` when that read fails, e.g. once a host's synchronous transaction ended).
 */
async function conflict(dialect: Dialect, scope: Scope, key: string, now: Date, reason: string): Promise<ConflictError> {
  const current = liveRow(await dialect.get(scope, key).catch(() => undefined), now);
  return new ConflictError(`${reason}; nothing was written`, { currentVersion: current?.version ?? null, retryable: false });
}

/** The keys of a batch call: an array of at most 1,000 valid keys. */
function batchKeys(keys: readonly string[]): string[] {
  if (!Array.isArray(keys) || keys.length > MAX_BATCH_KEYS) {
    throw new ValidationError(`"keys" expected an array of at most ${MAX_BATCH_KEYS} keys, got ${Array.isArray(keys) ? keys.length : typeof keys}`);
  }
  // A loop, not map: map skips the holes of a sparse array, which would pass unchecked.
  const checked: string[] = [];
  for (let index = 0; index < keys.length; index++) checked.push(validate.key(keys[index], `keys[${index}]`));
  return checked;
}

async function parseJSON<T>(key: string, text: string, schema: StandardSchemaV1<unknown, T> | undefined): Promise<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError(`"${key}" expected a JSON value, got text that does not parse`);
  }
  return schema ? conform(schema, parsed, key) : (parsed as T);
}

function toEntryInfo(row: RowInfo): EntryInfo {
  return {
    key: row.key,
    uuid: row.uuid,
    etag: etagOf(row.uuid, row.version),
    valueType: row.valueType,
    category: row.category,
    description: row.description,
    encrypted: row.isEncrypted,
    version: row.version,
    size: row.size,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    createdBy: row.createdBy,
    updatedBy: row.updatedBy,
    expiresAt: row.expiresAt,
  };
}

/** `row` unless it has expired at `now` (the dialects' reads return rows whatever their expiry). */
function liveRow<T extends RowInfo>(row: T | undefined, now: Date): T | undefined {
  return row === undefined || row.expiresAt === null || row.expiresAt.getTime() > now.getTime() ? row : undefined;
}

/**
 * The expiry options of an `update` write: those `fn` returned, else the entry's own expiry (`expiresAt:
 * null` in the result makes it never expire).
 */
function keptExpiry(next: { ttl?: number; expiresAt?: Date | null }, current: Entry | null): { ttl?: number; expiresAt?: Date } {
  if (next.ttl !== undefined) return next.expiresAt === undefined ? { ttl: next.ttl } : { ttl: next.ttl, expiresAt: next.expiresAt ?? undefined };
  if (next.expiresAt !== undefined) return next.expiresAt === null ? {} : { expiresAt: next.expiresAt };
  return current?.expiresAt ? { expiresAt: current.expiresAt } : {};
}

/** An `EntryInfo` with its value added (a property added to a literal, not a spread: see `set`). */
function toEntry(row: RowInfo, value: Uint8Array<ArrayBuffer>): Entry {
  const entry = toEntryInfo(row) as { -readonly [K in keyof Entry]: Entry[K] };
  entry.value = value;
  return entry;
}

function decodeText(key: string, bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ValidationError(`"${key}" expected a UTF-8 text value, got bytes that are not UTF-8`);
  }
}

/** `JSON.stringify`, with its refusals as `VALIDATION` errors (the TypeError, which names no value, as cause). */
function serialize(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError('"value" expected a JSON-serialisable value (no BigInt, no cycle)', { cause: error });
  }
  if (text === undefined) throw new ValidationError(`"value" expected a JSON-serialisable value, got ${typeof value}`);
  return text;
}

