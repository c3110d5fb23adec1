/**
 * Binding a compiled Drizzle query's parameters by name, worked out once per statement, for the dialects
 * that run some statements on the driver directly (rows as arrays, decoded by hand: the hot path).
 * @module
 */
import { is, Param, Placeholder } from 'drizzle-orm';

/** Positional values for a compiled query's parameters, from named values. */
export type Binder = (values: Record<string, unknown>) => unknown[];

/**
 * The binder of `params` (a `toSQL()` result's). A value the statement encodes (a `Param` over a
 * placeholder: an inserted or assigned column, or an expression bound through a column) goes through
 * its encoder; a bare placeholder (a WHERE operand, a LIMIT) through `bare`, the dialect's rule for
 * values compared as given; a constant is bound as Drizzle encoded it.
 */
export function binder(params: readonly unknown[], bare: (value: unknown) => unknown): Binder {
  const need = (values: Record<string, unknown>, name: string) => {
    if (!(name in values)) throw new Error(`No value for placeholder "${name}" was provided`);
    return values[name];
  };
  const slots = params.map((param): ((values: Record<string, unknown>) => unknown) => {
    if (is(param, Placeholder)) {
      const name = param.name as string;
      return (values) => bare(need(values, name));
    }
    if (is(param, Param) && is(param.value, Placeholder)) {
      const { encoder } = param;
      const name = param.value.name as string;
      return (values) => encoder.mapToDriverValue(need(values, name));
    }
    return () => param;
  });
  return (values) => slots.map((slot) => slot(values));
}
