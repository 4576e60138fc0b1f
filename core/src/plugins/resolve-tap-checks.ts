import { BucardoError, displayKey, formatTable, isDecision, isWinner, type Decisions, type ResolveArgs } from '@bucardo/plugin-sdk';

/**
 * What one plugin's resolve tap returned, checked as a strategy's decisions are, and named by the tap (its
 * tapable name) and plugin: the Map it was handed on, or nothing; each decision it added or changed of
 * one shape, its winner a database of the sync, its key a conflict of the batch. Checked right after the
 * tap, not once the waterfall ends, so the error names the tap that made the mistake rather than the
 * strategy or the core that came across it.
 */
export function checkResolveTap(before: Decisions, after: unknown, args: ResolveArgs, tap: { readonly name: string; readonly plugin: string }): void {
  if (after === undefined) return;
  const table = formatTable(args.batch.shape.table);
  const by = `Resolve tap "${tap.name}" (plugin ${tap.plugin})`;
  const subject = { plugin: tap.plugin, hook: 'resolve', sync: args.sync, table };
  if (!(after instanceof Map)) {
    const got = after === null ? 'null' : Array.isArray(after) ? 'an array' : typeof after;
    throw new BucardoError('PLUGIN_ERROR', `${by} returned ${got} for table "${table}", not the Map of decisions it was given`, subject);
  }
  const conflicts = new Set(args.batch.conflicts.map((conflict) => conflict.key));
  const databases = args.databases.map((db) => db.name);
  for (const [key, decision] of after as Map<unknown, unknown>) {
    if (before.get(key as string) === decision) continue;
    const shown = typeof key === 'string' ? displayKey(key) : String(key);
    const keyed = { ...subject, ...(typeof key === 'string' ? { key } : {}) };
    if (!conflicts.has(key as string)) {
      throw new BucardoError('PLUGIN_ERROR', `${by} decided key ${shown} of table "${table}", which is not one of the batch's conflicts (args.batch.conflicts)`, keyed);
    }
    if (!isDecision(decision)) {
      throw new BucardoError('PLUGIN_ERROR', `${by} decided key ${shown} of table "${table}" with ${json(decision)}: a decision is { winner: DATABASE }, { skip: true } or { abort: REASON }`, keyed);
    }
    if (isWinner(decision) && !databases.includes(decision.winner)) {
      throw new BucardoError('PLUGIN_ERROR', `${by} chose "${decision.winner}" to win key ${shown} of table "${table}", and no database of sync "${args.sync}" has that name (it has ${databases.map((name) => `"${name}"`).join(', ')})`, { ...keyed, db: decision.winner });
    }
  }
}

/** A value as JSON for a message, whatever it holds (a BigInt, a cycle). */
function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
