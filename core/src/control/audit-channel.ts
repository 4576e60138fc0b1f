import { displayKey, encodeCopyLines, keyParts, type KeyText } from '@bucardo/plugin-sdk';
import type { AuditChannel } from '../run/conflict-audit.js';
import type { ConflictRecord } from '../run/settle.js';
import type { ControlQueryable } from './control-queryable.js';

/** A control connection lent for a while; `release(false)` when it may be unusable, and it is closed. */
export interface ControlLease {
  readonly db: ControlQueryable;
  release(healthy: boolean): void;
}

const CONFLICT_LOG_COPY = 'COPY bucardo.conflict_log (sync, run_id, tablename, key, key_parts, kind, candidates, strategy, decided_by, winner, outcome) FROM STDIN';

/**
 * `key` and `key_parts` of a conflict's row: a composite key travels with NUL between its parts, which a
 * text column refuses (every conflict of the batch was lost with it), so its parts go to `key_parts` and
 * `key` holds them for people to read.
 */
export function storedKey(key: KeyText): [string, string | null] {
  const parts = keyParts(key);
  return parts.length === 1 ? [key, null] : [displayKey(key), JSON.stringify(parts)];
}

/** The audit transaction of one run transaction, on a leased control connection given back when it ends. */
export class ControlAuditChannel implements AuditChannel {
  readonly #lease: ControlLease;
  readonly #sync: string;
  readonly #runId: string;

  private constructor(lease: ControlLease, sync: string, runId: string) {
    this.#lease = lease;
    this.#sync = sync;
    this.#runId = runId;
  }

  static async open(lease: ControlLease, sync: string, runId: string): Promise<ControlAuditChannel> {
    try {
      await lease.db.query('BEGIN');
    } catch (error) {
      lease.release(false);
      throw error;
    }
    return new ControlAuditChannel(lease, sync, runId);
  }

  async write(records: readonly ConflictRecord[]): Promise<void> {
    // COPY: thousands of conflicts load in half the time of an INSERT from a JSON document
    await this.#lease.db.copyIn(CONFLICT_LOG_COPY, encodeCopyLines(records.map((record) => [
      this.#sync, this.#runId, record.table, ...storedKey(record.key), record.kind, JSON.stringify(record.candidates),
      record.strategy, record.decidedBy, record.winner, record.outcome,
    ])));
  }

  commit(): Promise<void> {
    return this.#end('COMMIT');
  }

  rollback(): Promise<void> {
    return this.#end('ROLLBACK');
  }

  async #end(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    try {
      await this.#lease.db.query(statement);
    } catch (error) {
      this.#lease.release(false);
      throw error;
    }
    this.#lease.release(true);
  }
}
