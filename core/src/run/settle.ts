import { BucardoError, displayKey, formatTable, type Conflict, type ConflictKind, type Decision, type Decisions, type KeyText, type SyncDatabase } from '@bucardo/plugin-sdk';

/** One settled conflict, as the audit records it. */
export interface ConflictRecord {
  readonly table: string;
  readonly key: KeyText;
  readonly kind: ConflictKind;
  readonly candidates: readonly { readonly db: string; readonly op: string; readonly changedAt: number }[];
  readonly strategy: string;
  readonly decidedBy: string;
  readonly winner: string | null;
  readonly outcome: 'applied' | 'merged' | 'skipped';
}

export interface Settlement {
  /** The winning database of every conflict that is applied. */
  readonly winners: ReadonlyMap<KeyText, string>;
  /** Conflicts left alone everywhere (the `skip` decision). */
  readonly skipped: ReadonlySet<KeyText>;
  readonly records: readonly ConflictRecord[];
}

/**
 * Checks the decisions of a batch and turns them into winners, skipped keys and audit records. An
 * `abort` decision fails the run (nothing is applied anywhere) naming the conflicting keys; a missing
 * decision, or a winner that is not a database of the sync, is a CONFLICT_UNRESOLVED error.
 */
export function settle(
  conflicts: readonly Conflict[], decisions: Decisions, databases: readonly SyncDatabase[],
  sync: string, strategy: string, additive: boolean,
): Settlement {
  const winners = new Map<KeyText, string>();
  const skipped = new Set<KeyText>();
  const records: ConflictRecord[] = [];
  const aborted: Conflict[] = [];
  const reasons = new Set<string>();
  for (const conflict of conflicts) {
    const table = formatTable(conflict.table);
    const decision: Decision | undefined = decisions.get(conflict.key);
    if (!decision) {
      throw new BucardoError('CONFLICT_UNRESOLVED', `No conflict strategy decided key ${displayKey(conflict.key)} of table "${table}" (conflict=${strategy} declined it)`, { sync, table, key: conflict.key });
    }
    const base = {
      table, key: conflict.key, kind: conflict.kind, strategy, decidedBy: decision.by ?? strategy,
      candidates: conflict.candidates.map((c) => ({ db: c.db, op: c.change.lastOp, changedAt: c.change.changedAt })),
    };
    if ('abort' in decision) {
      aborted.push(conflict);
      if (typeof decision.abort === 'string' && decision.abort !== '') reasons.add(decision.abort);
      continue;
    }
    if ('skip' in decision) {
      skipped.add(conflict.key);
      records.push({ ...base, winner: null, outcome: 'skipped' });
      continue;
    }
    if (!databases.some((db) => db.name === decision.winner)) {
      throw new BucardoError('CONFLICT_UNRESOLVED', `The winner "${decision.winner}" chosen by "${decision.by ?? strategy}" for key ${displayKey(conflict.key)} of table "${table}" is not a database of sync "${sync}"`, { sync, table, key: conflict.key, db: decision.winner });
    }
    winners.set(conflict.key, decision.winner);
    records.push({ ...base, winner: decision.winner, outcome: additive ? 'merged' : 'applied' });
  }
  if (aborted.length > 0) {
    const table = formatTable(aborted[0]!.table);
    const keys = aborted.slice(0, 20).map((c) => displayKey(c.key)).join(', ') + (aborted.length > 20 ? `, … (${aborted.length} in all)` : '');
    // the strategy's own words say why: "conflict=abort", or a custom strategy's reason
    const why = reasons.size === 0 ? '' : ` (${[...reasons].slice(0, 3).join('; ')})`;
    throw new BucardoError('CONFLICT_ABORT', `Aborting sync "${sync}": ${aborted.length} conflict${aborted.length === 1 ? '' : 's'} in table "${table}" (keys ${keys}); nothing was applied${why}`, { sync, table, key: aborted[0]!.key });
  }
  return { winners, skipped, records };
}
