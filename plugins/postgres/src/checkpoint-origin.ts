import type pg from 'pg';
import type { Checkpoint, Logger } from '@bucardo/plugin-sdk';

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
    if (!(await this.#aheadOfServer(since))) return since;
    if (!this.#said.has(since)) {
      this.#said.add(since);
      this.#log.log('warn', `Database "${this.#db}": the sync's checkpoint (${since}) is ahead of this server's transactions (next ${this.#serverXmax}): `
        + 'it was taken on another server (the database was moved or restored there). Every change record this database holds is read as new');
    }
    return SEEN_NOTHING;
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

  async #aheadOfServer(checkpoint: Checkpoint): Promise<boolean> {
    const xmax = snapshotXmax(checkpoint);
    if (xmax <= this.#serverXmax) return false;
    const result = await this.#client.query<{ xmax: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax');
    this.#serverXmax = BigInt(result.rows[0]!.xmax);
    return xmax > this.#serverXmax;
  }
}
