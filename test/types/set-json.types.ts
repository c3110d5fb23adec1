/**
 * Compile-time tests of the public types, checked by `npm run typecheck` (never run): each
 * `@ts-expect-error` fails the type check if the line it marks compiles.
 */
import { z } from 'zod';
import type { ScopeHandle } from '../../src/index.js';

declare const scope: ScopeHandle;
const Prefs = z.object({ theme: z.enum(['dark', 'light']) });
const Count = z.string().transform(Number);

export async function setJSONFollowsTheSchemaInput(): Promise<void> {
  await scope.setJSON('prefs', { theme: 'dark' }, { schema: Prefs });
  // @ts-expect-error: 'blue' is not one of the schema's themes
  await scope.setJSON('prefs', { theme: 'blue' }, { schema: Prefs });
  // @ts-expect-error: the schema's field is missing
  await scope.setJSON('prefs', {}, { schema: Prefs });
  // The value has the schema's input type (a string here), not its output type (a number).
  await scope.setJSON('count', '42', { schema: Count });
  // @ts-expect-error: a number is the output, not the input
  await scope.setJSON('count', 42, { schema: Count });
  // Without a schema, any value compiles (and JSON.stringify's refusals are VALIDATION errors).
  await scope.setJSON('any', { nested: [1, 'two', null] });
}

export async function getJSONReturnsTheSchemaOutput(): Promise<'dark' | 'light' | undefined> {
  const prefs = await scope.getJSON('prefs', { schema: Prefs });
  return prefs?.theme;
}

export async function misspeltOptionsDoNotCompile(): Promise<void> {
  // @ts-expect-error: "ecnrypt" is not an option (and is a VALIDATION error at run time)
  await scope.set('k', 'v', { ecnrypt: true });
  // @ts-expect-error: "prefx" is not an option
  await scope.list({ prefx: 'c' });
}
