/**
 * Boundary checks for the Fernet API. Each helper checks one kind of input and returns it, or throws
 * a `ValidationError` naming the field and the rule. Messages never contain key material.
 * @module
 */
import { ValidationError } from '../errors.js';

const utf8 = new TextEncoder();

/** Short type description for messages: `string`, `number`, `null`, `Array`, `Uint8Array`… */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return value.constructor?.name ?? 'object';
}

/** A `Uint8Array`, optionally of an exact length: `"iv" expected 16 bytes, got 12`. */
export function expectBytes(value: unknown, field: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ValidationError(`"${field}" expected a Uint8Array, got ${describeType(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new ValidationError(`"${field}" expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Message bytes: a `Uint8Array` as is, a string as UTF-8. */
export function expectData(value: unknown, field: string): Uint8Array {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw new ValidationError(`"${field}" expected well-formed Unicode, got a lone surrogate`);
    return utf8.encode(value);
  }
  if (value instanceof Uint8Array) return value;
  throw new ValidationError(`"${field}" expected a string or Uint8Array, got ${describeType(value)}`);
}

/** A whole number of seconds, 0 ≤ n ≤ 2^53 − 1: `"ttl" expected a non-negative integer, got -1`. */
export function expectSeconds(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    const got = typeof value === 'number' ? String(value) : describeType(value);
    throw new ValidationError(`"${field}" expected a non-negative integer of seconds, got ${got}`);
  }
  return value;
}
