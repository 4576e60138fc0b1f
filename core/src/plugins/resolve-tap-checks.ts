import { BucardoError, formatTable, type Decisions, type ResolveArgs } from '@bucardo/plugin-sdk';
import { checkDecision, shownKey } from './decision-check.js';
import { kindOf } from './shown-value.js';

/**
 * What one plugin's resolve tap handed on (what it returned, else the Map it was given, which it may have
 * edited in place), checked as a strategy's decisions are, and named by the tap (its tapable name) and
 * plugin: a Map; each decision it added or changed of one shape, its winner a database of the sync, its key
 * a conflict of the batch. Checked right after the tap, not once the waterfall ends, so the error names the
 * tap that made the mistake rather than the strategy or the core that came across it.
 */
export function checkResolveTap(before: Decisions, after: unknown, args: ResolveArgs, tap: { readonly name: string; readonly plugin: string }): void {
  const table = formatTable(args.batch.shape.table);
  const by = `Resolve tap "${tap.name}" (plugin ${tap.plugin})`;
  const subject = { plugin: tap.plugin, hook: 'resolve', sync: args.sync, table };
  if (!(after instanceof Map)) {
    throw new BucardoError('PLUGIN_ERROR', `${by} returned ${kindOf(after)} for table "${table}", not the Map of decisions it was given`, subject);
  }
  const conflicts = new Set(args.batch.conflicts.map((conflict) => conflict.key));
  const members = args.databases.map((db) => db.name);
  for (const [key, decision] of after as Map<unknown, unknown>) {
    if (before.get(key as string) === decision) continue;
    if (!conflicts.has(key as string)) {
      throw new BucardoError('PLUGIN_ERROR', `${by} decided key ${shownKey(key)} of table "${table}", which is not one of the batch's conflicts (args.batch.conflicts)`, { ...subject, ...(typeof key === 'string' ? { key } : {}) });
    }
    checkDecision(key, decision, { by, subject, members });
  }
}
