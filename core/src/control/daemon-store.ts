import type pg from 'pg';
import { syncLockHeld } from './sync-lock-sql.js';

type Queryable = Pick<pg.Client, 'query'>;

export interface DaemonRow {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly started: Date;
  readonly heartbeat: Date;
  /** Seconds since the last heartbeat, by the control database's clock. */
  readonly silentFor: number;
  /** How often it heartbeats (its lease round); undefined when registered by a daemon that did not record it. */
  readonly leaseMs: number | undefined;
}

export interface WorkerRow {
  readonly sync: string;
  readonly daemon: string;
  readonly since: Date;
  readonly state: string;
  readonly failures: number;
  readonly retryAt: Date | null;
  /** The daemon's own row; undefined once it unregistered. */
  readonly owner: DaemonRow | undefined;
  /** Whether some session holds the sync's run lock (the daemon does while it runs the sync). */
  readonly lockHeld: boolean;
}

/** A daemon's answer to `bucardo reload`: no error when it took the new configuration. */
export interface ReloadAnswer {
  readonly error?: { readonly code: string; readonly message: string; readonly [field: string]: unknown };
}

/** A line sent to the daemons' logs by `bucardo message`. */
export interface LogMessage {
  readonly message: string;
  readonly sent: Date;
  /** Who sent it: the sending process's name for the control database (`bucardo message` and its pid). */
  readonly sender: string;
}

/** Daemons, which daemon runs which sync, kick and reload requests: how processes coordinate through the control database. */
export class DaemonStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** `leaseMs`: how often it will heartbeat, by which others judge whether it still responds. */
  async register(id: string, host: string, pid: number, reason: string | undefined, leaseMs: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO bucardo.daemon (id, host, pid, reason, lease_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET heartbeat = now(), host = EXCLUDED.host, pid = EXCLUDED.pid, lease_ms = EXCLUDED.lease_ms`,
      [id, host, pid, reason ?? null, Math.round(leaseMs)],
    );
  }

  async heartbeat(id: string): Promise<void> {
    await this.#db.query('UPDATE bucardo.daemon SET heartbeat = now() WHERE id = $1', [id]);
  }

  async unregister(id: string): Promise<void> {
    await this.#db.query('DELETE FROM bucardo.sync_worker WHERE daemon = $1', [id]);
    await this.#db.query('DELETE FROM bucardo.daemon WHERE id = $1', [id]);
  }

  async daemons(): Promise<DaemonRow[]> {
    const result = await this.#db.query<RawDaemon>(`SELECT ${DAEMON_COLUMNS} FROM bucardo.daemon d ORDER BY started`);
    return result.rows.map(toDaemonRow);
  }

  /**
   * Records that `daemon` now runs `sync` (it holds the sync's lock), as running: a sync just taken is run
   * at once, and "idle" before that run would tell whoever waits for it that it is over.
   */
  async claim(sync: string, daemon: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO bucardo.sync_worker (sync, daemon, state) VALUES ($1, $2, 'running')
       ON CONFLICT (sync) DO UPDATE SET daemon = EXCLUDED.daemon, since = now(), state = 'running', failures = 0, retry_at = NULL`,
      [sync, daemon],
    );
  }

  async release(sync: string, daemon: string): Promise<void> {
    await this.#db.query('DELETE FROM bucardo.sync_worker WHERE sync = $1 AND daemon = $2', [sync, daemon]);
  }

  async setState(sync: string, daemon: string, state: string, failures: number, retryAt: Date | null): Promise<void> {
    await this.#db.query('UPDATE bucardo.sync_worker SET state = $3, failures = $4, retry_at = $5 WHERE sync = $1 AND daemon = $2', [sync, daemon, state, failures, retryAt]);
  }

  /** Who runs each sync, as recorded: a killed daemon's rows stay behind (see workerResponds). */
  async workers(): Promise<Map<string, WorkerRow>> {
    const result = await this.#db.query<RawDaemon & { sync: string; daemon: string; since: Date; state: string; failures: number; retry_at: Date | null; lock_held: boolean }>(
      `SELECT w.sync, w.daemon, w.since, w.state, w.failures, w.retry_at, ${syncLockHeld('w.sync')} AS lock_held, ${DAEMON_COLUMNS}
         FROM bucardo.sync_worker w LEFT JOIN bucardo.daemon d ON d.id = w.daemon`,
    );
    return new Map(result.rows.map((row) => [row.sync, {
      sync: row.sync, daemon: row.daemon, since: row.since, state: row.state, failures: row.failures, retryAt: row.retry_at,
      owner: row.id === null ? undefined : toDaemonRow(row), lockHeld: row.lock_held,
    }]));
  }

  /** Queues a run of `sync`; returns the request's id. */
  async requestKick(sync: string, requester: string): Promise<string> {
    const result = await this.#db.query<{ id: string }>('INSERT INTO bucardo.kick_request (sync, requester) VALUES ($1, $2) RETURNING id', [sync, requester]);
    await this.#db.query("SELECT pg_notify('bucardo_kick', $1)", [sync]);
    return result.rows[0]!.id;
  }

  /** The syncs with requests no run has served yet. */
  async pendingKicks(): Promise<Set<string>> {
    const result = await this.#db.query<{ sync: string }>('SELECT DISTINCT sync FROM bucardo.kick_request WHERE run_id IS NULL');
    return new Set(result.rows.map((row) => row.sync));
  }

  /** Asks daemon `daemon` to reload (the caller then wakes it); returns the request's id. */
  async requestReload(daemon: string, requester: string): Promise<string> {
    const result = await this.#db.query<{ id: string }>('INSERT INTO bucardo.reload_request (daemon, requester) VALUES ($1, $2) RETURNING id', [daemon, requester]);
    return result.rows[0]!.id;
  }

  /** The reload requests `daemon` has not answered yet. */
  async pendingReloads(daemon: string): Promise<string[]> {
    const result = await this.#db.query<{ id: string }>('SELECT id FROM bucardo.reload_request WHERE daemon = $1 AND answered IS NULL ORDER BY id', [daemon]);
    return result.rows.map((row) => row.id);
  }

  /** Answers reload requests: `error` undefined when the daemon took the new configuration. */
  async answerReloads(ids: readonly string[], error: Readonly<Record<string, unknown>> | undefined): Promise<void> {
    if (ids.length === 0) return;
    await this.#db.query('UPDATE bucardo.reload_request SET answered = clock_timestamp(), error = $2 WHERE id = ANY($1::bigint[]) AND answered IS NULL', [ids, error ?? null]);
  }

  /** The daemon's answer to a reload request, once it has given one. */
  async reloadAnswer(id: string): Promise<ReloadAnswer | undefined> {
    const result = await this.#db.query<{ answered: Date | null; error: ReloadAnswer['error'] | null }>('SELECT answered, error FROM bucardo.reload_request WHERE id = $1', [id]);
    const row = result.rows[0];
    return row?.answered ? { ...(row.error ? { error: row.error } : {}) } : undefined;
  }

  /** Stores a line for the daemons' logs and wakes them (`bucardo message`). */
  async sendMessage(message: string, sender: string): Promise<void> {
    await this.#db.query('INSERT INTO bucardo.log_message (message, sender) VALUES ($1, $2)', [message, sender]);
    await this.#db.query("SELECT pg_notify('bucardo_control', 'message')");
  }

  /**
   * Takes the stored messages, oldest first: each is taken by one daemon only (the first to delete it),
   * so that daemons sharing the control database do not log it twice.
   */
  async takeMessages(): Promise<LogMessage[]> {
    const result = await this.#db.query<{ id: string; message: string; sent: Date; sender: string }>(
      'DELETE FROM bucardo.log_message RETURNING id, message, sent, sender');
    return result.rows.sort((a, b) => Number(a.id) - Number(b.id)).map(({ message, sent, sender }) => ({ message, sent, sender }));
  }

  /** The run that served a request, once one has. */
  async servedBy(requestId: string): Promise<string | undefined> {
    const result = await this.#db.query<{ run_id: string | null }>('SELECT run_id FROM bucardo.kick_request WHERE id = $1', [requestId]);
    return result.rows[0]?.run_id ?? undefined;
  }
}

const DAEMON_COLUMNS = 'd.id, d.host, d.pid, d.started, d.heartbeat, d.lease_ms, extract(epoch FROM now() - d.heartbeat)::float8 AS silent_for';

interface RawDaemon { id: string; host: string; pid: number; started: Date; heartbeat: Date; lease_ms: number | null; silent_for: number }

function toDaemonRow(row: RawDaemon): DaemonRow {
  return {
    id: row.id, host: row.host, pid: row.pid, started: row.started, heartbeat: row.heartbeat, silentFor: row.silent_for,
    leaseMs: row.lease_ms ?? undefined,
  };
}
