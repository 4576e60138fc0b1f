import type pg from 'pg';
import { BucardoError, type Checkpoint, type Logger } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, TRUNCATE_LOG } from './capture-names.js';

/** SQLSTATE of a relation that does not exist. */
const UNDEFINED_TABLE = '42P01';

/** A snapshot that has seen no transaction: every change record on a server was committed after it. */
export const SEEN_NOTHING: Checkpoint = '1:1:';

/** The `xmax` of a snapshot's text (`xmin:xmax:xip,…`): the first transaction it had not seen begin. */
export function snapshotXmax(snapshot: Checkpoint): bigint {
  const xmax = snapshot.split(':')[1];
  return xmax === undefined || !/^\d+$/.test(xmax) ? 0n : BigInt(xmax);
}

/**
 * Whether checkpoints were taken on the server a session is connected to. A checkpoint is a snapshot of
 * the server's transaction counter, which only grows (64-bit, never wraps), so one ahead of the counter
 * was taken on another server: the database was moved there (`update db` to a copy, a dump restored).
 * Read as it is, it would count the new server's first transactions as consumed: their changes were
 * skipped and purged, and the run said empty. Such a checkpoint is read as having seen nothing there,
 * once said in the log. A move to a server whose counter is already ahead is not seen, and needs not be:
 * its transactions all come after the checkpoint. A physical standby promoted, or pg_upgrade, keeps the
 * counter, and its checkpoints stay valid.
 */
export class CheckpointOrigin {
  readonly #client: pg.Client;
  readonly #db: string;
  readonly #log: Logger;
  /** The highest `xmax` the server has shown: checkpoints at or below it need no statement. */
  #serverXmax = 0n;
  readonly #said = new Set<Checkpoint>();

  constructor(client: pg.Client, db: string, log: Logger) {
    this.#client = client;
    this.#db = db;
    this.#log = log;
  }

  /** `since` if it was taken on this server, else a snapshot that has seen nothing here. */
  async onThisServer(since: Checkpoint): Promise<Checkpoint> {
    const rebased = await this.rebase(since);
    if (rebased === undefined) return since;
    if (!this.#said.has(since)) {
      this.#said.add(since);
      this.#log.log('warn', `Database "${this.#db}": the sync's checkpoint (${since}) is ahead of this server's transactions (next ${this.#serverXmax}): `
        + 'it was taken on another server (the database was moved or restored there). Every change record this database holds is read as new');
    }
    return rebased;
  }

  /** A snapshot just taken on this server (a capture's): checkpoints up to it need no statement. */
  seen(snapshot: Checkpoint): void {
    const xmax = snapshotXmax(snapshot);
    if (xmax > this.#serverXmax) this.#serverXmax = xmax;
  }

  /** Whether every checkpoint was taken on this server: the purge trusts none that was not. */
  async allFromThisServer(checkpoints: readonly Checkpoint[]): Promise<boolean> {
    for (const checkpoint of checkpoints) if (await this.#aheadOfServer(checkpoint)) return false;
    return true;
  }

  /** The replacement of a checkpoint another server took (`SourceSession.rebaseCheckpoint`), else undefined. */
  async rebase(checkpoint: Checkpoint): Promise<Checkpoint | undefined> {
    if (!(await this.#aheadOfServer(checkpoint))) return undefined;
    await this.#refuseRecordsFromElsewhere();
    return SEEN_NOTHING;
  }

  /**
   * Change records whose transaction is ahead of this server's counter came from the old server, with a
   * copy of the `bucardo` schema: read from "seen nothing", they would be read again by every run until
   * the counter passes them (additive deltas added again, a truncate copied again each time), and no
   * purge would delete them. This server cannot tell them from its own, so the user decides.
   */
  async #refuseRecordsFromElsewhere(): Promise<void> {
    // a database moved to before `validate` installed capture there has no bucardo schema yet: nothing to refuse
    const noSchema = (error: unknown) => {
      if ((error as { code?: string }).code !== UNDEFINED_TABLE) throw error;
      return { rows: [] };
    };
    const tables = await this.#client.query<{ delta: string }>(
      `SELECT pg_catalog.format('%I.%I', '${CAPTURE_SCHEMA}', delta_table) AS delta FROM ${CAPTURE_SCHEMA}.capture_table WHERE pg_catalog.to_regclass(pg_catalog.format('%I.%I', '${CAPTURE_SCHEMA}', delta_table)) IS NOT NULL`,
    ).catch(noSchema);
    const logs = [...tables.rows.map((row) => row.delta), TRUNCATE_LOG];
    const counts = await this.#client.query<{ n: string }>(
      logs.map((log) => `SELECT pg_catalog.count(*) AS n FROM ${log} WHERE bucardo_txid >= pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())`).join(' UNION ALL '),
    ).catch(noSchema);
    const ahead = counts.rows.reduce((sum, row) => sum + Number(row.n), 0);
    if (ahead === 0) return;
    throw new BucardoError('CAPTURE_FAILED',
      `Database "${this.#db}" holds ${ahead} change records with transaction ids ahead of this server's (next ${this.#serverXmax}): they came from another server with a copy of the ${CAPTURE_SCHEMA} schema (a dump restored), and cannot be told from this server's own. `
      + `Restore the database without that schema (pg_dump --exclude-schema=${CAPTURE_SCHEMA}) and run bucardo validate, or delete them from ${CAPTURE_SCHEMA}.delta_* and ${TRUNCATE_LOG} (WHERE bucardo_txid >= pg_snapshot_xmax(pg_current_snapshot())); then bucardo compare shows what the old server had not delivered`,
      { db: this.#db });
  }

  async #aheadOfServer(checkpoint: Checkpoint): Promise<boolean> {
    const xmax = snapshotXmax(checkpoint);
    if (xmax <= this.#serverXmax) return false;
    const result = await this.#client.query<{ xmax: string }>('SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text AS xmax');
    this.#serverXmax = BigInt(result.rows[0]!.xmax);
    return xmax > this.#serverXmax;
  }
}
