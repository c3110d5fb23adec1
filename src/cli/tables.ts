/**
 * The tables the CLI prints (cli-table3): totals per extension and scope, and quota use per extension.
 * @module
 */
import Table from 'cli-table3';
import type { QuotaLimits, UsageRecord } from '../dialect.js';
import type { ScopeStats } from '../stats.js';

/** One extension's usage record and the quota recorded with it. */
export interface QuotaUse {
  readonly extensionId: string;
  readonly usage: UsageRecord;
  readonly quota: QuotaLimits;
}

/** A table whose first `left` columns align left, the others (numbers) right. */
function table(head: string[], left: number): Table.Table {
  const colAligns = head.map((_, index) => (index < left ? ('left' as const) : ('right' as const)));
  return new Table({ head, colAligns, style: { head: [], border: [] } });
}

/** Rows, bytes and encrypted rows per extension and scope, with a total line. */
export function scopeTable(rows: readonly ScopeStats[]): string {
  const output = table(['extension', 'scope', 'rows', 'bytes', 'encrypted rows'], 2);
  for (const row of rows) output.push([row.extensionId, row.scope, row.rows, row.bytes, row.encryptedRows]);
  const sum = (pick: (row: ScopeStats) => number) => rows.reduce((total, row) => total + pick(row), 0);
  output.push(['total', '', sum((row) => row.rows), sum((row) => row.bytes), sum((row) => row.encryptedRows)]);
  return output.toString();
}

/** Usage against the recorded quota per extension: `used / limit (percent)`, or `used` alone without a limit. */
export function quotaTable(uses: readonly QuotaUse[]): string {
  const output = table(['extension', 'bytes used / quota', 'keys used / quota'], 1);
  const cell = (used: number, limit: number | null) => (limit === null ? `${used} / none` : `${used} / ${limit} (${limit === 0 ? 100 : Math.floor((used / limit) * 100)}%)`);
  for (const use of uses) output.push([use.extensionId, cell(use.usage.bytes, use.quota.bytes), cell(use.usage.keys, use.quota.keys)]);
  return output.toString();
}
