import { BucardoError } from '@bucardo/plugin-sdk';
import type { Registry } from '../plugins/registry.js';

/** The strategy a sync's `conflict=` setting names, and the words that follow it. */
export interface ConflictSpec {
  readonly name: string;
  readonly options: readonly string[];
}

/** Bucardo's names for the standard strategies. */
const aliases: Record<string, string> = { default: 'latest', bucardo_latest: 'latest', latest_all: 'latest_table', bucardo_latest_all_tables: 'latest_table', bucardo_abort: 'abort' };

/**
 * Reads a `conflict=` setting: a registered strategy name (with optional words after it), or, as in
 * Bucardo, a list of the sync's databases (`"t3 t1 t2"`), which is the `order` strategy. A word that is
 * neither is an error naming it.
 */
export function parseConflictSpec(spec: string, databases: readonly string[], registry: Registry, sync: string): ConflictSpec {
  const words = spec.trim().split(/[\s,]+/).filter(Boolean);
  if (words.length === 0) throw new BucardoError('INVALID_ARGUMENT', `conflict= is empty for sync "${sync}"`, { sync, item: 'conflict' });
  const first = aliases[words[0]!.toLowerCase()] ?? words[0]!;
  if (registry.hasConflictStrategy(first)) return { name: first, options: words.slice(1) };
  if (words.every((word) => databases.includes(word))) return { name: 'order', options: words };
  const stranger = words.find((word) => !databases.includes(word))!;
  if (words.length === 1) registry.conflictStrategy(first);
  throw new BucardoError('UNKNOWN_STRATEGY', `Conflict strategy "${spec}": "${stranger}" is not a db for this sync (databases: ${databases.join(', ')}; strategies: ${registry.conflictStrategyNames().join(', ')})`, { sync, db: stranger });
}
