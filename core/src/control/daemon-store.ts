import type pg from 'pg';

type Queryable = Pick<pg.Client, 'query'>;

export interface DaemonRow {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly started: Date;
  readonly heartbeat: Date;
  /** Seconds since the last heartbeat, by the control database's clock. */
  readonly silentFor: number;
}

export interface WorkerRow {
  readonly sync: string;
  readonly daemon: string;
  readonly since: Date;
  readonly state: string;
  readonly failures: number;
  readonly retryAt: Date | null;
}

/** Daemons, which daemon runs which sync, and kick requests: how processes coordinate through the control database. */
export class DaemonStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async register(id: string, host: string, pid: number, reason: string | undefined): Promise<void> {
    await this.#db.query(
      `INSERT INTO bucardo.daemon (id, host, pid, reason) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET heartbeat = now(), host = EXCLUDED.host, pid = EXCLUDED.pid`,
      [id, host, pid, reason ?? null],
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
    const result = await this.#db.query<{ id: string; host: string; pid: number; started: Date; heartbeat: Date; silent_for: number }>(
      'SELECT id, host, pid, started, heartbeat, extract(epoch FROM now() - heartbeat)::float8 AS silent_for FROM bucardo.daemon ORDER BY started',
    );
    return result.rows.map((row) => ({ id: row.id, host: row.host, pid: row.pid, started: row.started, heartbeat: row.heartbeat, silentFor: row.silent_for }));
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

  async workers(): Promise<Map<string, WorkerRow>> {
    const result = await this.#db.query<{ sync: string; daemon: string; since: Date; state: string; failures: number; retry_at: Date | null }>(
      'SELECT sync, daemon, since, state, failures, retry_at FROM bucardo.sync_worker',
    );
    return new Map(result.rows.map((row) => [row.sync, { sync: row.sync, daemon: row.daemon, since: row.since, state: row.state, failures: row.failures, retryAt: row.retry_at }]));
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

  /** The run that served a request, once one has. */
  async servedBy(requestId: string): Promise<string | undefined> {
    const result = await this.#db.query<{ run_id: string | null }>('SELECT run_id FROM bucardo.kick_request WHERE id = $1', [requestId]);
    return result.rows[0]?.run_id ?? undefined;
  }
}
