/**
 * Boundary checks. Each helper validates one kind of input and returns it normalised, or throws a
 * `ValidationError` whose message names the field and the rule (never the value of a secret).
 * @module
 */
import { ValidationError, ValueTooLargeError } from './errors.js';
import type { UserId, Value } from './types.js';

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const EXTENSION_ID = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/;
const RESOURCE_TYPE = /^[a-z][a-z0-9_-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 9110: type "/" subtype *( OWS ";" OWS token "=" ( token / quoted-string ) )
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MIME_TYPE = new RegExp(
  `^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"(?:[^"\\\\\\u0000-\\u0008\\u000a-\\u001f\\u007f]|\\\\[^\\u0000-\\u0008\\u000a-\\u001f\\u007f])*"))*$`,
);
const MAX_VALUE_TYPE_LENGTH = 255;

/** Length in Unicode code points, without allocating for the common short case. */
function codePointLength(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) surrogatePairs++;
  }
  return text.length - surrogatePairs;
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (input instanceof Uint8Array) return 'Uint8Array';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}

/**
 * A string of `min..max` code points: well-formed Unicode and, unless `allowControl`, no control
 * characters. Returns it unchanged.
 */
function text(field: string, input: unknown, min: number, max: number, allowControl = false): string {
  const rule = `a string of ${min}..${max} characters${allowControl ? '' : ' without control characters'}`;
  if (typeof input !== 'string') throw new ValidationError(`"${field}" expected ${rule}, got ${describe(input)}`);
  if (!input.isWellFormed()) throw new ValidationError(`"${field}" expected well-formed Unicode, got a lone surrogate`);
  const length = codePointLength(input);
  if (length < min || length > max) {
    throw new ValidationError(`"${field}" expected ${rule}, got ${length} characters`);
  }
  if (allowControl ? input.includes('\u0000') : CONTROL_CHARACTERS.test(input)) {
    throw new ValidationError(`"${field}" expected ${rule}, got a control character`);
  }
  return input;
}

/** `publisher.name`: lowercase letters, digits and `-`, dot-separated, at most 255 characters. */
export function extensionId(input: unknown): string {
  if (typeof input !== 'string' || input.length > 255 || !EXTENSION_ID.test(input)) {
    throw new ValidationError(
      `"extensionId" expected "publisher.name": dot-separated lowercase letters, digits and "-", at most 255 characters, got ${
        typeof input === 'string' ? JSON.stringify(input.slice(0, 64)) : describe(input)
      }`,
    );
  }
  return input;
}

/** A key: 1..255 characters, no control characters; case-sensitive. */
export function key(input: unknown, field = 'key'): string {
  return text(field, input, 1, 255);
}

/** A key prefix for listing: 0..255 characters, no control characters. */
export function prefix(input: unknown): string {
  return text('prefix', input, 0, 255);
}

/**
 * A user id: a safe integer, or a string of 1..255 characters without control characters that is at
 * most 255 bytes in UTF-8 (so that every dialect can index it). Returns its canonical string form.
 */
export function userId(input: UserId | undefined | null, field = 'user.id'): string {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input)) throw new ValidationError(`"${field}" expected a safe integer or a string, got ${input}`);
    return String(input);
  }
  const id = text(field, input, 1, 255);
  const bytes = utf8Length(id);
  if (bytes > 255) throw new ValidationError(`"${field}" expected at most 255 bytes in UTF-8, got ${bytes}`);
  return id;
}

/** A resource type: `[a-z][a-z0-9_-]*`, at most 64 characters. */
export function resourceType(input: unknown): string {
  if (typeof input !== 'string' || !RESOURCE_TYPE.test(input)) {
    throw new ValidationError(
      `"resourceType" expected [a-z][a-z0-9_-]* of at most 64 characters, got ${
        typeof input === 'string' ? JSON.stringify(input.slice(0, 64)) : describe(input)
      }`,
    );
  }
  return input;
}

/** A resource id: a safe integer, or 1..255 characters without control characters; UUIDs are lowercased. */
export function resourceId(input: unknown): string {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input)) throw new ValidationError(`"resourceId" expected a safe integer or a string, got ${input}`);
    return String(input);
  }
  const id = text('resourceId', input, 1, 255);
  return UUID.test(id) ? id.toLowerCase() : id;
}

/** A category: 1..64 characters without control characters, or null. */
export function category(input: unknown): string | null {
  return input === undefined || input === null ? null : text('category', input, 1, 64);
}

/** A description: at most 1024 characters (line breaks allowed), or null. */
export function description(input: unknown): string | null {
  return input === undefined || input === null ? null : text('description', input, 0, 1024, true);
}

/** A syntactically valid MIME type (RFC 9110), at most 255 characters. */
export function valueType(input: unknown): string {
  // Characters are code points, as for keys and categories (and MySQL's varchar(255) utf8mb4 column).
  if (typeof input !== 'string' || (input.length > MAX_VALUE_TYPE_LENGTH && codePointLength(input) > MAX_VALUE_TYPE_LENGTH) || !MIME_TYPE.test(input)) {
    throw new ValidationError(
      `"valueType" expected a MIME type such as "application/json" of at most ${MAX_VALUE_TYPE_LENGTH} characters, got ${
        typeof input === 'string' ? JSON.stringify(input.slice(0, 64)) : describe(input)
      }`,
    );
  }
  // A quoted parameter may hold any character: one that is not well-formed would come back changed.
  if (!input.isWellFormed()) throw new ValidationError('"valueType" expected well-formed Unicode, got a lone surrogate');
  return input;
}

/** A page size: an integer in 1..1000. */
export function limit(input: unknown): number {
  if (typeof input !== 'number' || !Number.isInteger(input) || input < 1 || input > 1000) {
    throw new ValidationError(`"limit" expected an integer in 1..1000, got ${typeof input === 'number' ? input : describe(input)}`);
  }
  return input;
}

/**
 * Every option name of an options interface, each mapped to `true`: a name added to the interface fails
 * to compile until it is listed here too, so the list and the type cannot drift apart.
 * @example
 * const SET_OPTIONS = optionNames<SetOptions>({ valueType: true, category: true, description: true, encrypt: true });
 */
export type OptionNameList<T> = { readonly [K in keyof Required<T>]: true };

/** The allowed names of an options object, as `options()` checks them. */
export function optionNames<T>(names: OptionNameList<T>): ReadonlySet<string> {
  return new Set(Object.keys(names));
}

/**
 * An options object (absent means empty) whose every own name is in `allowed`: a misspelt option is a
 * `VALIDATION` error naming it (never its value) rather than silently ignored.
 */
export function options<T extends object>(field: string, input: T | undefined, allowed: ReadonlySet<string>): Partial<T> {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError(`"${field}" expected an object, got ${describe(input)}`);
  }
  // for…in allocates nothing on the hot path (set, get); only a failure builds the list of names.
  for (const name in input) {
    if (!allowed.has(name)) throw unknownOptions(field, input, allowed);
  }
  return input;
}

function unknownOptions(field: string, input: object, allowed: ReadonlySet<string>): ValidationError {
  const unknown = Object.keys(input)
    .filter((name) => !allowed.has(name))
    .map((name) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name));
  const known = allowed.size === 0 ? 'none' : [...allowed].join(', ');
  return new ValidationError(
    `"${field}" has unknown option${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; the known options are: ${known}`,
  );
}

/** A Standard Schema (zod, valibot, arktype, …): an object with a `~standard.validate` function. */
export function standardSchema(field: string, input: unknown): void {
  const props = (input as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
  if (typeof props?.validate !== 'function') {
    throw new ValidationError(`"${field}" expected a Standard Schema (zod, valibot, arktype, …: an object with "~standard".validate), got ${describe(input)}`);
  }
}

/** A boolean option. */
export function flag(field: string, input: unknown): boolean {
  if (input === undefined) return false;
  if (typeof input !== 'boolean') throw new ValidationError(`"${field}" expected a boolean, got ${describe(input)}`);
  return input;
}

/** A positive safe integer option, e.g. a limit in bytes. */
export function positiveInteger(field: string, input: unknown): number {
  if (typeof input !== 'number' || !Number.isSafeInteger(input) || input < 1) {
    throw new ValidationError(`"${field}" expected a positive integer, got ${typeof input === 'number' ? input : describe(input)}`);
  }
  return input;
}

const encoder = new TextEncoder();

/** The bytes of a value (strings as UTF-8), at most `maxBytes` long. */
/** Whether `view`'s buffer was detached (`ArrayBuffer.prototype.detached` is newer than Node 20). */
function isDetached(view: Uint8Array): boolean {
  try {
    new Uint8Array(view.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

export function value(input: Value, maxBytes: number): Uint8Array {
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) {
    // A detached buffer (transferred to a worker, say) reads as empty; it must not be stored as such.
    if (input.byteLength === 0 && isDetached(input)) throw new ValidationError('"value" expected a Uint8Array, got one whose buffer was detached (transferred)');
    bytes = input;
  } else if (typeof input === 'string') {
    if (!input.isWellFormed()) throw new ValidationError('"value" expected well-formed Unicode, got a lone surrogate');
    // A string of more than maxBytes UTF-16 units has more than maxBytes UTF-8 bytes: skip encoding it.
    if (input.length > maxBytes) throw tooLarge(input.length, maxBytes, 'or more');
    bytes = encoder.encode(input);
  } else throw new ValidationError(`"value" expected a Uint8Array or a string, got ${describe(input)}`);
  if (bytes.byteLength > maxBytes) throw tooLarge(bytes.byteLength, maxBytes, '');
  return bytes;
}

function tooLarge(size: number, maxBytes: number, qualifier: '' | 'or more'): ValueTooLargeError {
  return new ValueTooLargeError(`"value" expected at most ${maxBytes} bytes (limits.maxValueBytes), got ${size} ${qualifier}`.trimEnd());
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(input: string): number {
  let bytes = 0;
  for (let i = 0; i < input.length; i++) {
    const unit = input.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** A batch size of a maintenance job: an integer in 1..10,000, or `fallback` when absent. */
export function batchSize(input: unknown, fallback: number): number {
  const size = input === undefined ? fallback : positiveInteger('batchSize', input);
  if (size > 10_000) throw new ValidationError(`"batchSize" expected an integer in 1..10000, got ${size}`);
  return size;
}

/** An `AbortSignal`, or absent. */
export function abortSignal(input: unknown): AbortSignal | undefined {
  if (input !== undefined && !(input instanceof AbortSignal)) {
    throw new ValidationError(`"signal" expected an AbortSignal, got ${input === null ? 'null' : typeof input}`);
  }
  return input;
}

/**
 * The latest expiry every dialect can store: the end of year 9999 (MySQL's `DATETIME` ends there; the
 * others store later times, but one limit for all keeps a store portable).
 */
export const MAX_EXPIRES_AT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * When an entry written at `now` expires, from `ttl` (milliseconds, a positive safe integer) or
 * `expiresAt` (a valid `Date`, kept to the millisecond; one in the past makes an entry that is absent
 * at once), at most one of them; `null` for never. `prefix` goes before their names in messages
 * (`entries[2].ttl`). @throws `VALIDATION`
 */
export function expiry(ttl: unknown, expiresAt: unknown, now: Date, prefix = ''): Date | null {
  if (ttl !== undefined && expiresAt !== undefined) {
    throw new ValidationError(`"${prefix}ttl" and "${prefix}expiresAt" expected at most one of them, got both`);
  }
  let at: number;
  if (ttl !== undefined) {
    if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 1) {
      throw new ValidationError(`"${prefix}ttl" expected a positive integer of milliseconds, got ${describe(ttl)}`);
    }
    at = now.getTime() + ttl;
  } else if (expiresAt !== undefined) {
    if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) {
      throw new ValidationError(`"${prefix}expiresAt" expected a valid Date, got ${expiresAt instanceof Date ? 'an invalid Date' : describe(expiresAt)}`);
    }
    at = expiresAt.getTime();
  } else {
    return null;
  }
  if (at < 0 || at > MAX_EXPIRES_AT) {
    throw new ValidationError(`"${prefix}${ttl !== undefined ? 'ttl' : 'expiresAt'}" expected an expiry between 1970 and the end of 9999, got one outside`);
  }
  return new Date(at);
}
