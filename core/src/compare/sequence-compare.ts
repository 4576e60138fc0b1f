import { BucardoError, formatTable, type SequenceState, type TableRef, type TargetSession } from '@bucardo/plugin-sdk';
import { databaseError } from '../run/database-error.js';
import { sequenceMissing } from '../run/sequence-missing.js';

/** One of a sequence's settings, as `bucardo compare` names it. */
export type SequenceField = keyof SequenceState;

/** A sequence's settings in the order they are shown: the value first, since it is what runs move. */
export const SEQUENCE_FIELDS: readonly SequenceField[] = ['lastValue', 'isCalled', 'increment', 'min', 'max', 'start', 'cycle'];

/** One sequence on every database of the sync that can read it. */
export interface SequenceComparison {
  readonly sequence: string;
  /** Each compared database's state, in the sync's order (the first source first). */
  readonly states: ReadonlyMap<string, SequenceState>;
  /** Per database whose state differs from the first source's, the settings that differ, in `SEQUENCE_FIELDS` order. */
  readonly differing: ReadonlyMap<string, readonly SequenceField[]>;
  /** Why the sequence was not compared at all (missing on the first source). */
  readonly problem?: BucardoError;
  /** Databases it was not compared on, each with its problem (missing there, a writer that cannot read sequences). */
  readonly excluded: ReadonlyMap<string, BucardoError>;
}

type SequenceReader = { readonly db: string; readonly session: Pick<TargetSession, 'readSequence'> };

/**
 * A sequence on every reader (the first source first), set against the first source's: runs make every
 * database's sequence equal to the highest source's, so between runs a source that handed out values is
 * ahead, and after a run they agree.
 */
export async function compareSequence(sync: string, sequence: TableRef, readers: readonly SequenceReader[]): Promise<SequenceComparison> {
  const name = formatTable(sequence);
  const states = new Map<string, SequenceState>();
  const excluded = new Map<string, BucardoError>();
  for (const { db, session } of readers) {
    if (!session.readSequence) {
      excluded.set(db, new BucardoError('DB_ROLE_UNSUPPORTED', `The writer of database "${db}" cannot read sequences`, { sync, db, table: name }));
      continue;
    }
    const state = await session.readSequence(sequence).catch((error: unknown) => { throw databaseError(error, 'FETCH_FAILED', { db, table: name, sync }); });
    if (state) states.set(db, state);
    else excluded.set(db, sequenceMissing(sync, db, sequence));
  }
  const reference = readers[0]!.db;
  const mine = states.get(reference);
  if (!mine) {
    const problem = excluded.get(reference)!;
    return { sequence: name, states: new Map(), differing: new Map(), problem, excluded: new Map() };
  }
  excluded.delete(reference);
  const differing = new Map<string, SequenceField[]>();
  for (const [db, state] of states) {
    const fields = SEQUENCE_FIELDS.filter((field) => state[field] !== mine[field]);
    if (fields.length > 0) differing.set(db, fields);
  }
  return { sequence: name, states, differing, excluded };
}

/** Whether a compared sequence differs on any database. */
export function sequenceDiffers(sequence: SequenceComparison): boolean {
  return sequence.differing.size > 0;
}
