import { BucardoError, closestName } from '@bucardo/plugin-sdk';
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
 * Bucardo, a list of the sync's databases (`"t3 t1 t2"`), which is the `order` strategy. A first word that
 * is neither is a strategy no loaded plugin registers (its plugin missing from the config, or a typo); a
 * later word that is no database spoils the list. Either is an error naming the word, what it could have
 * been, and the closest of those.
 */
export function parseConflictSpec(spec: string, databases: readonly string[], registry: Registry, sync: string): ConflictSpec {
  const words = spec.trim().split(/[\s,]+/).filter(Boolean);
  if (words.length === 0) throw new BucardoError('INVALID_ARGUMENT', `conflict= is empty for sync "${sync}"`, { sync, item: 'conflict' });
  const first = aliases[words[0]!.toLowerCase()] ?? words[0]!;
  if (registry.hasConflictStrategy(first)) return { name: first, options: words.slice(1) };
  if (words.every((word) => databases.includes(word))) return { name: 'order', options: words };
  const strategies = registry.conflictStrategyNames();
  const known = `strategies: ${strategies.join(', ') || 'none'}; databases: ${databases.join(', ')}`;
  if (!databases.includes(words[0]!)) {
    const hint = didYouMean(words[0]!, [...strategies, ...databases]);
    throw new BucardoError('UNKNOWN_STRATEGY', `Conflict strategy "${spec}" of sync "${sync}": no loaded plugin registers conflict strategy "${words[0]}", and no database of the sync is named so (${known})${hint}`, { sync, item: words[0]! });
  }
  const stranger = words.find((word) => !databases.includes(word))!;
  throw new BucardoError('UNKNOWN_STRATEGY', `Conflict strategy "${spec}" of sync "${sync}": a list of the sync's databases, but "${stranger}" is not one (${known})${didYouMean(stranger, databases)}`, { sync, db: stranger });
}

function didYouMean(word: string, known: readonly string[]): string {
  const closest = closestName(word, known);
  return closest ? `; did you mean "${closest}"?` : '';
}
