import { BucardoError, formatTable, type TableRef } from '@bucardo/plugin-sdk';
import type { RunSessions } from './sessions.js';
import type { SyncPlan } from './sync-plan.js';

/** A sequence of the sync that a database lacks: runs leave that database's sequence out, so it is said. */
export function sequenceMissing(sync: string, db: string, sequence: TableRef): BucardoError {
  const name = formatTable(sequence);
  return new BucardoError('TABLE_MISSING', `Sequence "${name}" does not exist on database "${db}"`, { sync, db, table: name });
}

/** For `bucardo validate`: each of the sync's sequences missing on a database whose writer reads sequences. */
export async function missingSequences(plan: SyncPlan, sessions: RunSessions): Promise<BucardoError[]> {
  const missing: BucardoError[] = [];
  for (const sequence of plan.sequences ?? []) {
    for (const db of plan.databases) {
      const session = sessions.target(db.name);
      if (session.readSequence && !(await session.readSequence(sequence))) missing.push(sequenceMissing(plan.name, db.name, sequence));
    }
  }
  return missing;
}
