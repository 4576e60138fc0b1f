import type { Checkpoint, RunOutcome, RunReport } from '@bucardo/plugin-sdk';
import { encodeKey, tableId, type TableRef } from '@bucardo/plugin-sdk';
import type { CopyProgress, ResumePoint, RunRecorder } from '../run/run-sync.js';
import { Catalog } from './catalog.js';
import type { ControlQueryable } from './control-queryable.js';
import { ControlAuditChannel, type ControlLease } from './audit-channel.js';
import { syncLockHeld } from './sync-lock-sql.js';
import type { AuditChannel } from '../run/conflict-audit.js';


/** One row of `bucardo.syncrun`. */
export interface SyncRunRow {
  readonly id: string;
  readonly sync: string;
  readonly worker: string;
  readonly started: Date;
  readonly ended: Date | null;
  readonly outcome: RunOutcome | null;
  readonly status: string;
  readonly inserts: number;
  readonly deletes: number;
  readonly conflicts: number;
  readonly deferred: number;
  readonly retries: number;
  readonly error: { readonly code: string; readonly message: string; readonly [field: string]: unknown } | null;
  readonly details: { readonly tables?: unknown; readonly databases?: Record<string, { inserted: number; deleted: number }> } | null;
  /**
   * When the run last moved on: its start, then each new phase, batch or copied batch (by the control
   * database's clock). Null for runs recorded before the column was added.
   */
  readonly progressed: Date | null;
  /** Seconds from `progressed` to when the row was read, by the control database's clock (a machine's own may be off). */
  readonly quietFor: number | null;
  /** Where the run had got to (transactions committed everywhere, in which key partition), while it can be resumed. */
  readonly resume: Pick<ResumePoint, 'fingerprint' | 'from' | 'committed' | 'partition' | 'partitions' | 'run'> | null;
}

/** One row of `bucardo.conflict_log`. */
export interface ConflictLogRow {
  readonly id: string;
  readonly sync: string;
  readonly runId: string;
  readonly table: string;
  readonly key: string;
  readonly kind: string;
  readonly candidates: ReadonlyArray<{ readonly db: string; readonly op: string; readonly changedAt: number }>;
  readonly strategy: string;
  readonly decidedBy: string;
  readonly winner: string | null;
  readonly outcome: 'applied' | 'merged' | 'skipped';
  readonly recorded: Date;
}

/** The runs `bucardo status` shows for a sync. */
export interface SyncRuns {
  /** The last run that ended good or empty. */
  readonly lastGood?: SyncRunRow;
  readonly lastBad?: SyncRunRow;
  /** A run in progress. */
  readonly current?: SyncRunRow;
  /**
   * A run left unfinished by a process that ended (killed, or its machine lost): nobody holds the sync's
   * run lock. The next run marks it Interrupted and resumes from its last committed batch (as it does
   * after a run that failed or was stopped).
   */
  readonly interrupted?: SyncRunRow;
  readonly last?: SyncRunRow;
}

/** Records runs in `bucardo.syncrun` and keeps checkpoints, for the core's runner. */
export class RunStore implements RunRecorder {
  readonly #db: ControlQueryable;
  readonly #catalog: Catalog;
  readonly #lease: (fresh: boolean) => Promise<ControlLease>;

  /** `lease`: another control connection (`fresh`: a new one), for the conflict audit's transactions. */
  constructor(db: ControlQueryable, lease: (fresh: boolean) => Promise<ControlLease>) {
    this.#db = db;
    this.#lease = lease;
    this.#catalog = new Catalog(db);
  }

  async startRun(sync: string, worker: string): Promise<{ runId: string; resume?: ResumePoint }> {
    // The caller holds the sync's lock, so a run of this sync still marked unfinished was interrupted. It
    // ended when it was last heard of, not now (its process may have died long ago): the later of its last
    // progress and the last heartbeat of the daemon that ran it (a daemon's worker is `daemon <id>`), which
    // heartbeats through a long phase. When it was found is kept in its error.
    const interrupted = await this.#db.query<{ id: string }>(
      `UPDATE bucardo.syncrun r SET outcome = 'bad', status = 'Interrupted',
              ended = least(clock_timestamp(), greatest(r.started, r.progressed,
                (SELECT d.heartbeat FROM bucardo.daemon d WHERE r.worker = 'daemon ' || d.id))),
              error = jsonb_build_object('code', 'RUN_ABORTED', 'message', 'The run was interrupted (its process ended, or lost the control database, before it finished)',
                                         'found', clock_timestamp())
        WHERE sync = $1 AND ended IS NULL RETURNING id`,
      [sync],
    );
    // The last run, interrupted or failed or stopped, left its sources' checkpoints where they were and its
    // committed transactions in place, whatever ended it: this run goes on from there.
    const last = await this.#db.query<{ resume: ResumePoint | null }>(
      `SELECT resume FROM bucardo.syncrun WHERE sync = $1 AND outcome = 'bad' AND id = (SELECT max(id) FROM bucardo.syncrun WHERE sync = $1)`,
      [sync],
    );
    const resume = last.rows.map((row) => row.resume).find((point): point is ResumePoint => point !== null && madeProgress(point));
    // Taken over at once: should this run fail before it gets further (even before it connects), the next
    // still resumes from here. The point stays right until a run moves the checkpoints, which clears it.
    const result = await this.#db.query<{ id: string }>(
      'INSERT INTO bucardo.syncrun (sync, worker, resume, progressed) VALUES ($1, $2, $3, clock_timestamp()) RETURNING id', [sync, worker, resume ? JSON.stringify(resume) : null]);
    const runId = result.rows[0]!.id;
    // This run serves every kick of the sync requested so far, and those the interrupted runs had taken: a
    // kick still waiting for one of them waits for this one, rather than reporting its interruption
    await this.#db.query('UPDATE bucardo.kick_request SET run_id = $2 WHERE sync = $1 AND (run_id IS NULL OR run_id = ANY($3::bigint[]))',
      [sync, runId, interrupted.rows.map((row) => row.id)]);
    return { runId, ...(resume ? { resume } : {}) };
  }

  async saveResume(runId: string, resume: ResumePoint | undefined): Promise<void> {
    await this.#db.query('UPDATE bucardo.syncrun SET resume = $2 WHERE id = $1', [runId, resume === undefined ? null : JSON.stringify(resume)]);
  }

  /** Forgets where the sync's interrupted runs had got to: their checkpoints no longer hold (a source moved). */
  async dropResumePoints(sync: string): Promise<void> {
    await this.#db.query('UPDATE bucardo.syncrun SET resume = NULL WHERE sync = $1 AND resume IS NOT NULL', [sync]);
  }

  async copyProgress(sync: string): Promise<Map<string, CopyProgress>> {
    const result = await this.#db.query<{ schemaname: string; tablename: string; targets: string[]; last_key: string | null; rows: string; done: boolean }>(
      'SELECT schemaname, tablename, targets, last_key, rows, done FROM bucardo.copy_progress WHERE sync = $1', [sync]);
    return new Map(result.rows.map((row) => [tableId({ schema: row.schemaname, name: row.tablename }), {
      targets: row.targets, rows: Number(row.rows), done: row.done, ...(row.last_key === null ? {} : { lastKey: row.last_key }),
    }]));
  }

  async saveCopyProgress(sync: string, table: TableRef, progress: CopyProgress, request?: string): Promise<void> {
    // FOR SHARE: a new request (update sync … onetimecopy=) waits for this save, and its discard of the
    // progress then takes this row with the rest; a save that comes after it waits for it, and finds the
    // sync's request changed: the progress of a copy no longer asked for is not saved to mislead the next.
    await this.#db.query(
      `INSERT INTO bucardo.copy_progress (sync, schemaname, tablename, targets, last_key, rows, done)
       SELECT name, $2, $3, $4, $5, $6, $7 FROM bucardo.sync WHERE name = $1 AND ${ofRequest('$8')} FOR SHARE
       ON CONFLICT (sync, schemaname, tablename) DO UPDATE SET targets = EXCLUDED.targets, last_key = EXCLUDED.last_key, rows = EXCLUDED.rows, done = EXCLUDED.done`,
      [sync, table.schema, table.name, progress.targets, progress.lastKey ?? null, progress.rows, progress.done, request ?? null],
    );
  }

  async finishCopy(sync: string, request?: string): Promise<void> {
    // one statement: a new request made meanwhile is left whole, setting and (empty) progress alike
    await this.#db.query(
      `WITH finished AS (UPDATE bucardo.sync SET onetimecopy = 0, copy_targets = NULL WHERE name = $1 AND ${ofRequest('$2')} RETURNING name)
       DELETE FROM bucardo.copy_progress WHERE sync IN (SELECT name FROM finished)`,
      [sync, request ?? null],
    );
  }

  async openAudit(sync: string, runId: string): Promise<AuditChannel> {
    try {
      return await ControlAuditChannel.open(await this.#lease(false), sync, runId);
    } catch {
      // a kept connection the server dropped while it was idle (restart, idle timeout): once more, anew
      return ControlAuditChannel.open(await this.#lease(true), sync, runId);
    }
  }

  /** Recorded conflicts, newest first; a sync's are those of the sync as it now is (not of one removed before it under its name). */
  async conflicts(filter: { sync?: string; table?: string; limit: number }): Promise<ConflictLogRow[]> {
    const result = await this.#db.query<{ id: string; sync: string; run_id: string; tablename: string; key: string; key_parts: string[] | null; kind: string; candidates: ConflictLogRow['candidates']; strategy: string; decided_by: string; winner: string | null; outcome: ConflictLogRow['outcome']; recorded: Date }>(
      `SELECT id, sync, run_id, tablename, key, key_parts, kind, candidates, strategy, decided_by, winner, outcome, recorded
         FROM bucardo.conflict_log
        WHERE ($1::text IS NULL OR (sync = $1 AND recorded >= (SELECT created FROM bucardo.sync s WHERE s.name = $1)))
          AND ($2::text IS NULL OR tablename = $2 OR tablename LIKE '%.' || $2)
        ORDER BY id DESC LIMIT $3`,
      [filter.sync ?? null, filter.table ?? null, filter.limit],
    );
    return result.rows.map((row) => ({
      id: row.id, sync: row.sync, runId: row.run_id, table: row.tablename, key: row.key_parts ? encodeKey(row.key_parts) : row.key, kind: row.kind, candidates: row.candidates,
      strategy: row.strategy, decidedBy: row.decided_by, winner: row.winner, outcome: row.outcome, recorded: row.recorded,
    }));
  }

  /** Conflicts recorded per sync, for status. */
  async conflictCounts(): Promise<Map<string, { total: number; skipped: number }>> {
    const result = await this.#db.query<{ sync: string; total: string; skipped: string }>(
      `SELECT c.sync, count(*) AS total, count(*) FILTER (WHERE c.outcome = 'skipped') AS skipped
         FROM bucardo.conflict_log c JOIN bucardo.sync s ON s.name = c.sync AND c.recorded >= s.created GROUP BY c.sync`,
    );
    return new Map(result.rows.map((row) => [row.sync, { total: Number(row.total), skipped: Number(row.skipped) }]));
  }

  async setRunStatus(runId: string, status: string): Promise<void> {
    await this.#db.query('UPDATE bucardo.syncrun SET status = $2, progressed = clock_timestamp() WHERE id = $1', [runId, status]);
  }

  async endRun(report: RunReport): Promise<void> {
    await this.#db.query(
      `UPDATE bucardo.syncrun SET ended = $2, outcome = $3, status = $4, inserts = $5, deletes = $6, conflicts = $7,
              deferred = $8, details = $9, error = $10, retries = $11 WHERE id = $1`,
      [
        report.runId, report.endedAt, report.outcome, finalStatus(report), report.inserts, report.deletes, report.conflicts, report.deferred,
        JSON.stringify({ tables: report.tables, databases: Object.fromEntries(report.databases) }),
        report.error ? JSON.stringify(report.error) : null,
        report.retries,
      ],
    );
  }

  checkpoints(sync: string): Promise<Map<string, Checkpoint>> {
    return this.#catalog.checkpoints(sync);
  }

  saveCheckpoints(sync: string, checkpoints: ReadonlyMap<string, Checkpoint>): Promise<void> {
    return this.#catalog.saveCheckpoints(sync, checkpoints);
  }

  /** The last good, last bad, current and last run of every sync that ran. */
  async syncRuns(): Promise<Map<string, SyncRuns>> {
    const pick = async (where: string) => {
      // per sync, its newest run of the kind, off the (sync, id DESC) index: a long history is not read
      const result = await this.#db.query<RawRun>(
        `SELECT r.* FROM bucardo.sync s CROSS JOIN LATERAL (
           SELECT ${RUN_COLUMNS} FROM bucardo.syncrun WHERE syncrun.sync = s.name AND ${where} AND ${OF_THIS_SYNC} ORDER BY id DESC LIMIT 1) AS r`,
      );
      return new Map(result.rows.map((row) => [row.sync, toRunRow(row)]));
    };
    const [good, bad, current, last, locked] = await Promise.all([
      pick("outcome IN ('good', 'empty')"), pick("outcome = 'bad'"), pick('ended IS NULL'), pick('true'), this.#lockedSyncs(),
    ]);
    const runs = new Map<string, SyncRuns>();
    for (const sync of new Set([...last.keys()])) {
      const unfinished = current.get(sync);
      runs.set(sync, {
        ...(good.has(sync) ? { lastGood: good.get(sync)! } : {}),
        ...(bad.has(sync) ? { lastBad: bad.get(sync)! } : {}),
        ...(unfinished === undefined ? {} : locked.has(sync) ? { current: unfinished } : { interrupted: unfinished }),
        ...(last.has(sync) ? { last: last.get(sync)! } : {}),
      });
    }
    return runs;
  }

  /** The syncs whose run lock some session holds. */
  async #lockedSyncs(): Promise<Set<string>> {
    const result = await this.#db.query<{ name: string }>(`SELECT s.name FROM bucardo.sync s WHERE ${syncLockHeld('s.name')}`);
    return new Set(result.rows.map((row) => row.name));
  }

  async run(runId: string): Promise<SyncRunRow | undefined> {
    const result = await this.#db.query<RawRun>(`SELECT ${RUN_COLUMNS} FROM bucardo.syncrun WHERE id = $1`, [runId]);
    return result.rows[0] && toRunRow(result.rows[0]);
  }
}

/**
 * Runs of the sync as it now is: a sync removed and added again under the same name starts with no history
 * in `status` (its old runs stay in the table, and a removed sync's runs show nowhere).
 */
const OF_THIS_SYNC = 'syncrun.started >= s.created';

/**
 * The sync's row still asks for the copy of request `param` (`bucardo.sync.copy_request`); any row when
 * the run's plan has no request (it was not read from the catalog).
 */
function ofRequest(param: string): string {
  return `(${param}::bigint IS NULL OR copy_request = ${param}::bigint)`;
}

const RUN_COLUMNS = `id, sync, worker, started, ended, outcome, status, inserts, deletes, conflicts, deferred, retries, error, details, resume, progressed,
  extract(epoch FROM clock_timestamp() - progressed)::float8 AS quiet_for`;

interface RawRun {
  id: string; sync: string; worker: string; started: Date; ended: Date | null; outcome: RunOutcome | null; status: string;
  inserts: string; deletes: string; conflicts: string; deferred: string; retries: number; error: SyncRunRow['error']; details: SyncRunRow['details'];
  resume: ResumePoint | null; progressed: Date | null; quiet_for: number | null;
}

function toRunRow({ quiet_for, ...row }: RawRun): SyncRunRow {
  return {
    ...row,
    quietFor: quiet_for,
    inserts: Number(row.inserts), deletes: Number(row.deletes), conflicts: Number(row.conflicts), deferred: Number(row.deferred),
    resume: row.resume && madeProgress(row.resume) ? row.resume : null,
  };
}

/** A resume point worth resuming from: something was committed everywhere. */
function madeProgress(point: Pick<ResumePoint, 'committed' | 'partition'>): boolean {
  return point.committed > 0 || (point.partition ?? 0) > 0;
}

function finalStatus(report: RunReport): string {
  switch (report.outcome) {
    case 'good': return 'Complete';
    case 'empty': return 'No delta rows found';
    case 'bad': return `Failed: ${report.error?.message ?? 'unknown error'}`;
  }
}
