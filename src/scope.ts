/**
 * Scope handles: the operations on one extension's global, user or resource space. A handle holds no
 * connection and does no I/O until an operation is called.
 * @module
 */
import { decodeCursor, encodeCursor, type CursorContext } from './cursor.js';
import type { Dialect, RowInfo, Scope } from './dialect.js';
import { EncryptionKeyMissingError, ValidationError } from './errors.js';
import { listingRange } from './key-range.js';
import { GET_JSON_OPTIONS, LIST_FILTER, LIST_OPTIONS, SET_JSON_OPTIONS, SET_OPTIONS } from './option-names.js';
import { quotaRefusal, type QuotaRecorder } from './quota.js';
import { authorizationRequest, checkAuthorized, type Authorize, type StorageAction } from './authorization.js';
import type { RowCipher } from './row-cipher.js';
import { conform } from './schema-check.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { Entry, EntryInfo, ListFilter, ListOptions, Page, SetOptions, Value } from './types.js';
import * as validate from './validation.js';

const DEFAULT_PAGE_SIZE = 25;
const OCTET_STREAM = 'application/octet-stream';
const TEXT_UTF8 = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
// ignoreBOM: a leading U+FEFF is part of the stored text, not a marker to strip.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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
    if (this.#context.authorize) await this.#authorize('read', scope, userId, checkedKey);
    const row = await this.#context.dialect.get(scope, checkedKey);
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
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ValidationError(`"${key}" expected a JSON value, got text that does not parse`);
    }
    return schema ? conform(schema, parsed, key) : (parsed as T);
  }

  /**
   * Creates or replaces an entry: value, value type, category and description all take the new values.
   * Returns the written entry's metadata.
   */
  async set(key: string, value: Value, setOptions?: SetOptions): Promise<EntryInfo> {
    const options = validate.options('options', setOptions, SET_OPTIONS);
    const checkedKey = validate.key(key);
    const bytes = validate.value(value, this.#context.maxValueBytes);
    const valueType = validate.valueType(options.valueType ?? (typeof value === 'string' ? TEXT_UTF8 : OCTET_STREAM));
    const category = validate.category(options.category);
    const description = validate.description(options.description);
    const encrypt = validate.flag('encrypt', options.encrypt);
    const { scope, userId } = this.#resolve();
    if (this.#context.authorize) await this.#authorize('write', scope, userId, checkedKey);
    const stored = encrypt ? requireCipher(this.#context.cipher, 'write').encrypt(scope, checkedKey, bytes) : bytes;
    const { dialect, quota } = this.#context;
    const recording = quota.record(dialect, scope.extensionId);
    if (recording) await recording;
    // One literal, not a spread of `scope` plus new keys: the spread costs ~17 µs per call on Node 20.
    let row: RowInfo;
    try {
      row = await dialect.upsert({
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
        now: new Date(),
        writtenBy: userId,
      });
    } catch (error) {
      throw quotaRefusal(error) ?? error;
    }
    return toEntryInfo(row);
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
    const checked = schema ? await conform(schema, value, key) : value;
    const text = serialize(checked);
    return this.set(key, text, { ...setOptions, valueType: setOptions.valueType ?? JSON_TYPE });
  }

  /** Removes an entry; `true` when there was one. */
  async delete(key: string): Promise<boolean> {
    const checkedKey = validate.key(key);
    const { scope, userId } = this.#resolve();
    if (this.#context.authorize) await this.#authorize('delete', scope, userId, checkedKey);
    return this.#context.dialect.delete(scope, checkedKey);
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
    const filter = await this.#filter(options);
    const afterKey = options.cursor === undefined || options.cursor === null ? null : decodeCursor(filter, options.cursor);
    const range = listingRange(filter.prefix, afterKey);
    const rows = await this.#context.dialect.list(filter.scope, { category: filter.category, range }, limit + 1);
    const items = rows.slice(0, limit).map(toEntryInfo);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(filter, last.key) : null };
  }

  /** How many entries `list` with the same filters would return across all pages. */
  async count(filter?: ListFilter): Promise<number> {
    const context = await this.#filter(validate.options('filter', filter, LIST_FILTER));
    return this.#context.dialect.count(context.scope, { category: context.category, range: listingRange(context.prefix, null) });
  }

  /** The listing's scope and filters, after the host's hook allowed `list` there. */
  async #filter(filter: ListFilter): Promise<CursorContext> {
    const category = validate.category(filter.category);
    const prefix = filter.prefix === undefined ? '' : validate.prefix(filter.prefix);
    const { scope, userId } = this.#resolve();
    if (this.#context.authorize) await this.#authorize('list', scope, userId);
    return { scope, category, prefix };
  }

  /** Asks the host's hook (callers check that there is one); `FORBIDDEN` unless it allows. */
  #authorize(action: StorageAction, scope: Scope, userId: string | null, key?: string): Promise<void> {
    return checkAuthorized(this.#context.authorize!, authorizationRequest(action, scope, userId, key));
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

function toEntryInfo(row: RowInfo): EntryInfo {
  return {
    key: row.key,
    uuid: row.uuid,
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
  };
}

/** An `EntryInfo` with its value added (a property added to a literal, not a spread: see `set`). */
function toEntry(row: RowInfo, value: Uint8Array<ArrayBuffer>): Entry {
  const entry = toEntryInfo(row) as { -readonly [K in keyof Entry]: Entry[K] };
  entry.value = value;
  return entry;
}

/**
 * Drivers hand out Buffers, often views on a pooled buffer that holds other rows' data (postgres.js,
 * Node's 8 KiB pool): callers get a plain Uint8Array that owns all of its memory, copied unless it
 * already does.
 */
function ownedBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const { buffer } = bytes;
  if (!(buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || buffer.byteLength !== bytes.byteLength) return new Uint8Array(bytes);
  // A Buffer with memory of its own (better-sqlite3's): a plain view on it, no copy.
  return bytes.constructor === Uint8Array ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(buffer);
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

