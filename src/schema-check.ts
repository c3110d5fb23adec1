/**
 * Checking a value against a caller's Standard Schema. Schema libraries write the value they received
 * into their messages (valibot: "Expected number but received \"…\""), and the value may be a decrypted
 * secret: a failure names the failing paths and what was expected, never the value.
 * @module
 */
import { ValidationError } from './errors.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** Where a message goes on to describe what it received. */
const RECEIVED = /[\s,:;(-]*\b(?:but\s+)?(?:received|got)\b.*$/is;
/** How many primitives of the failing value are looked for in a message. */
const MAX_LEAVES = 256;

/**
 * `input` if `schema` accepts it (as the schema returns it); otherwise a `VALIDATION` error naming the
 * entry `key`, and each failing path with the schema's expectation.
 */
export async function conform<T>(schema: StandardSchemaV1<unknown, T>, input: unknown, key: string): Promise<T> {
  let result: StandardSchemaV1.Result<T>;
  try {
    result = await schema['~standard'].validate(input);
  } catch (error) {
    throw new ValidationError(`"${key}": the schema threw while checking the value`, { cause: error });
  }
  if (!result.issues) return result.value;
  const issues = result.issues.map((issue) => {
    const path = (issue.path ?? []).map((segment) => (typeof segment === 'object' && segment !== null ? segment.key : segment));
    return `${pathText(path)}: ${expectation(issue.message, valueAt(input, path))}`;
  });
  throw new ValidationError(`"${key}" does not match the schema: ${issues.join('; ')}`);
}

/** Where an issue is, e.g. `items[2].name` (the field names, never the value); `(value)` for the root. */
function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(value)';
  let text = '';
  for (const name of path) {
    if (typeof name === 'number') text += `[${name}]`;
    else text += text === '' ? String(name) : `.${String(name)}`;
  }
  return text;
}

/**
 * The part of a schema message that says what was expected. What it received is cut off; a message that
 * still shows any text of the failing value is replaced as a whole.
 */
function expectation(message: string, failing: unknown): string {
  const expected = message.replace(RECEIVED, '').trim();
  const leaves: string[] = [];
  collectLeaves(failing, leaves);
  return expected === '' || leaves.some((leaf) => expected.includes(leaf)) ? 'invalid value' : expected;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** The primitives inside `value` as text (strings, and numbers, booleans and bigints as written). */
function collectLeaves(value: unknown, leaves: string[]): void {
  if (leaves.length >= MAX_LEAVES) return;
  if (typeof value === 'string') {
    if (value !== '') leaves.push(value);
  } else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    leaves.push(String(value));
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collectLeaves(item, leaves);
  }
}
