import { BucardoError, displayKey, isDecision, isWinner, type Decision } from '@bucardo/plugin-sdk';
import { shownValue } from './shown-value.js';

/** Who decided (`Conflict strategy "x" (plugin p)`, `Resolve tap "t" (plugin p)`), and the names its errors carry. */
export interface Decider {
  readonly by: string;
  readonly subject: { readonly plugin?: string | undefined; readonly hook: string; readonly sync: string; readonly table: string };
  /** The sync's databases: a winner must be one of them. */
  readonly members: readonly string[];
}

/**
 * One decision a strategy or a resolve tap made, checked the same way for both: exactly one of the three
 * shapes (as the strategy kit checks: `{ winner, skip: true }` was recorded as skipped), and a winner that
 * is a database of the sync (a misspelt or stale name), each named with the decider, the table and the key.
 */
export function checkDecision(key: unknown, decision: unknown, decider: Decider): asserts decision is Decision {
  const { by, subject, members } = decider;
  const keyed = { ...subject, ...(typeof key === 'string' ? { key } : {}) };
  if (!isDecision(decision)) {
    throw new BucardoError('PLUGIN_ERROR', `${by} decided key ${shownKey(key)} of table "${subject.table}" with ${shownValue(decision)}: a decision is { winner: DATABASE }, { skip: true } or { abort: REASON }`, keyed);
  }
  if (isWinner(decision) && !members.includes(decision.winner)) {
    throw new BucardoError('PLUGIN_ERROR', `${by} chose "${decision.winner}" to win key ${shownKey(key)} of table "${subject.table}", and no database of sync "${subject.sync}" has that name (it has ${members.map((name) => `"${name}"`).join(', ')})`, { ...keyed, db: decision.winner });
  }
}

/** A key of a decisions Map as a message says it (a plugin may have put anything there). */
export function shownKey(key: unknown): string {
  return typeof key === 'string' ? displayKey(key) : String(key);
}
