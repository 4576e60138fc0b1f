import type pg from 'pg';
import { BucardoError, formatTable, serverMessage, type ApplyResult, type RowBatch, type TableShape } from '@bucardo/plugin-sdk';
import { arrayLiteral } from './key-sql.js';
import { qualified } from './capture-names.js';
import { UNIQUE_VIOLATION } from './in-place-apply.js';

/** A row pointing at a row that is not there. */
export const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Writes a transaction puts off until the keys it holds (`DeferredDeletes`) are deleted. A row of a table
 * foreign keys point at that takes a unique value from a row the origin deleted (an e-mail a new account
 * takes over from a purged one) can go in only once that row is gone, and that row only once its children
 * are, which later batches of the transaction delete: deleting it first would fail on them, or cascade.
 * Once a write is put off, a later batch's rows that point at the put-off rows are put off too. They are
 * written in the order they were put off (the core's write order), after the held deletes.
 */
export class PostponedWrites {
  #writes: Array<{ shape: TableShape; write: () => Promise<unknown> }> = [];

  /** Whether a write of this transaction is put off (later batches then write under a savepoint). */
  get pending(): boolean {
    return this.#writes.length > 0;
  }

  /**
   * Puts `write` off, and says what it counts for now: its `rows` as if written, since a put-off row is
   * written before the commit or the transaction fails; `deleted`, what its batch deleted already.
   */
  add(shape: TableShape, write: () => Promise<unknown>, rows: readonly RowBatch[], deleted = 0): ApplyResult {
    this.#writes.push({ shape, write });
    return { deleted, inserted: rows.reduce((count, rowBatch) => count + rowBatch.rowCount, 0), skipped: [] };
  }

  /**
   * Whether `error` (raised by a write of this transaction, rolled back to its savepoint since) is a row
   * pointing at a table that has put-off writes: only then is that row put off too. A row pointing at a
   * row that is missing for another reason (a table outside the sync) fails where it is, with its own error.
   */
  async pointsAtPutOff(client: pg.Client, error: unknown): Promise<boolean> {
    const { code, constraint, schema, table } = error as { code?: string; constraint?: string; schema?: string; table?: string };
    if (!this.pending || code !== FOREIGN_KEY_VIOLATION || !constraint || !schema || !table) return false;
    const { rows: [found] } = await client.query<{ found: unknown }>(
      `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conname = $1 AND conrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('%I.%I', $2::text, $3::text))
         AND confrelid = ANY($4::regclass[]::oid[])) AS found`,
      [constraint, schema, table, this.tables()]);
    return String(found?.found).startsWith('t');
  }

  /** The tables with put-off writes, as a regclass[] literal. */
  tables(): string {
    return arrayLiteral([...new Set(this.#writes.map(({ shape }) => qualified(shape.table)))]);
  }

  /** Writes them, in order, and forgets them; a refusal names the table and why it was put off. */
  async run(): Promise<void> {
    const writes = this.#writes;
    this.#writes = [];
    for (const { shape, write } of writes) {
      try {
        await write();
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== UNIQUE_VIOLATION && code !== FOREIGN_KEY_VIOLATION) throw error;
        const table = formatTable(shape.table);
        throw new BucardoError('APPLY_FAILED', `${serverMessage(error)}: rows of ${table} were written after this transaction's deletes, as they take a unique value from a deleted row or point at rows that do, and still collide. Two rows that swap a unique value, or one taking it from a row whose delete comes in a later transaction of the run (the keys a table foreign keys point at loses go last), cannot be written in place: make a swap through a temporary value in two runs on the origin, give one run a batchSize above its changed keys and a partitionSize above its change records (its log says how many: bucardo --log-level verbose kick SYNC 0), or write with applyAsReplica`, {
          table, sqlstate: code, cause: error,
        });
      }
    }
  }

  clear(): void {
    this.#writes = [];
  }
}
