import type pg from 'pg';
import { Catalog } from './catalog.js';
import { connectControl, controlError, type ControlTarget } from './control-connection.js';
import type { ControlLease } from './audit-channel.js';
import { copyInto, type ControlQueryable } from './control-queryable.js';
import { DaemonStore } from './daemon-store.js';
import { RunStore } from './run-store.js';
import { checkControlSchema } from './schema-check.js';

/** How often a wait for a sync's run lock that this session holds itself looks again. */
const IN_PROCESS_LOCK_POLL_MS = 50;

/** One connection to the control database, with the catalog and run records on top of it. */
export class ControlSession {
  readonly target: ControlTarget;
  readonly catalog: Catalog;
  readonly runs: RunStore;
  readonly daemons: DaemonStore;
  readonly #client: pg.Client;
  readonly #query: ControlQueryable;
  readonly #label: string;
  /** Connections of the same target for side transactions (the conflict audit), idle until leased. */
  readonly #idle: ControlSession[] = [];
  #closed = false;
  /** The syncs whose run lock this session holds (`tryLockSync`). */
  readonly #heldSyncs = new Set<string>();

  #broken = false;

  private constructor(target: ControlTarget, client: pg.Client, label: string) {
    this.target = target;
    this.#client = client;
    this.#label = label;
    // A lost connection also loses the advisory locks it held: whoever owns syncs through it must know.
    client.on('error', () => { this.#broken = true; });
    client.on('end', () => { this.#broken = true; });
    // Queries run one at a time (pg clients do not take overlapping queries), and every failure maps
    // "no bucardo schema here" to CONTROL_NOT_INSTALLED.
    let queue: Promise<unknown> = Promise.resolve();
    const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
      const run = queue.then(work);
      queue = run.catch(() => undefined);
      return run.catch((error: unknown) => { throw controlError(error, target.dbname); });
    };
    const queryable = {
      query: (...args: unknown[]) => inTurn(() => (client.query as (...a: unknown[]) => Promise<unknown>)(...args)),
      copyIn: (sql: string, data: Uint8Array) => inTurn(() => copyInto(client, sql, data)),
    } as unknown as ControlQueryable;
    this.#query = queryable;
    this.catalog = new Catalog(queryable);
    this.runs = new RunStore(queryable, (fresh) => this.#lease(fresh));
    this.daemons = new DaemonStore(queryable);
  }

  static async open(target: ControlTarget, label: string): Promise<ControlSession> {
    return new ControlSession(target, await connectControl(target, target.dbname, label), label);
  }

  /**
   * A connection of its own for a side transaction that runs while this one is busy, kept for the next
   * lease when given back healthy; several runs of a daemon may each hold one at the same time. `fresh`:
   * a new connection, the idle ones closed (one of them just failed: the server may have dropped them all).
   */
  async #lease(fresh: boolean): Promise<ControlLease> {
    if (fresh) await Promise.all(this.#idle.splice(0).map((idle) => idle.close()));
    let sibling = this.#idle.pop();
    while (sibling?.broken) {
      await sibling.close();
      sibling = this.#idle.pop();
    }
    const session = sibling ?? await ControlSession.open(this.target, `${this.#label} audit`);
    return {
      db: session.#query,
      release: (healthy) => {
        if (healthy && !this.#closed && !session.broken) this.#idle.push(session);
        else void session.close();
      },
    };
  }

  /** True once the connection has failed or ended (its locks are gone). */
  get broken(): boolean {
    return this.#broken;
  }

  /** Runs `work` in one control transaction. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.#query.query('BEGIN');
    try {
      const result = await work();
      await this.#query.query('COMMIT');
      return result;
    } catch (error) {
      await this.#query.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Refuses (CONTROL_NOT_INSTALLED, naming what is missing) a schema older than this version, or none. */
  checkSchema(): Promise<void> {
    return checkControlSchema(this.#query, this.target.dbname);
  }

  /**
   * Takes the sync's run lock (one runner per sync across every process and machine sharing this control
   * database). PostgreSQL's advisory locks are re-entrant within a session, so this session keeps its own
   * count of what it holds: two kicks (or a kick and a run) through one instance both got the lock, and
   * ran the sync twice at once.
   */
  async tryLockSync(sync: string): Promise<boolean> {
    if (this.#heldSyncs.has(sync)) return false;
    this.#heldSyncs.add(sync);
    let locked = false;
    try {
      const result = await this.#query.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext('bucardo sync'), hashtext($1)) AS locked", [sync]);
      locked = result.rows[0]!.locked;
      return locked;
    } finally {
      if (!locked) this.#heldSyncs.delete(sync);
    }
  }

  /** Waits for the sync's run lock (after this session's own holder, too). */
  async lockSync(sync: string): Promise<void> {
    while (this.#heldSyncs.has(sync)) await new Promise((resolve) => setTimeout(resolve, IN_PROCESS_LOCK_POLL_MS));
    this.#heldSyncs.add(sync);
    try {
      await this.#query.query("SELECT pg_advisory_lock(hashtext('bucardo sync'), hashtext($1))", [sync]);
    } catch (error) {
      this.#heldSyncs.delete(sync);
      throw error;
    }
  }

  async unlockSync(sync: string): Promise<void> {
    try {
      await this.#query.query("SELECT pg_advisory_unlock(hashtext('bucardo sync'), hashtext($1))", [sync]);
    } finally {
      // a failed unlock is a lost connection, which let go of the lock with it
      this.#heldSyncs.delete(sync);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#idle.splice(0).map((sibling) => sibling.close()));
    await this.#client.end().catch(() => undefined);
  }
}
