import type pg from 'pg';
import { BucardoError, formatTable, keyMaker, serverMessage, type ApplyBatch, type ApplyResult, type DatabaseSpec, type KeyText, type Logger, type OpenContext, type PartitionDigests, type RowBatch, type RowDigestRequest, type RowSummary, type RowSummaryRequest, type SequenceState, type TableRef, type TableShape, type TargetCapabilities, type TargetSession, type TargetWriter, type TruncateOptions } from '@bucardo/plugin-sdk';
import { readSequence, setSequence } from './sequences.js';
import { explainApplyError } from './apply-errors.js';
import { locateCopyError } from './copy-error-location.js';
import { AlwaysIdentity, applyInPlace } from './in-place-apply.js';
import { applyReferenced } from './referenced-apply.js';
import { ReferencedTables } from './referenced-tables.js';
import { DeferredDeletes, type HeldDeletes } from './deferred-deletes.js';
import { FOREIGN_KEY_VIOLATION, PostponedWrites } from './postponed-writes.js';
import { stillPointedAtBy } from './pointing-rows.js';
import { DeadlockYield, preferToBeTheDeadlockVictim } from './deadlock-victim.js';
import { SKIP_CAPTURE_SETTING, qualified } from './capture-names.js';
import { connect, quoteLiteral } from './connect.js';
import { guardedWrite } from './local-change-guard.js';
import { DeltaRecorder } from './delta-recorder.js';
import { cancellable } from './cancel.js';
import { copyIn } from './copy-in.js';
import { describeTable, describeTables, requiredColumns } from './introspect.js';
import { missingWritePrivileges } from './write-privileges.js';
import { KeyIndexes } from './key-index.js';
import { columnList, keyColumnList, keyCondition } from './key-sql.js';
import { rowDigests, summarizeRows } from './row-digests.js';
import { REPLICA_SETTINGS, type ResolvedPostgresOptions } from './postgres-options.js';

/**
 * How long TRUNCATE may wait for the table's lock. Longer, and every new reader of the table would queue
 * behind the waiting TRUNCATE for as long as the readers already there run; the table is emptied with
 * DELETE instead, which readers do not wait for. Above the default `deadlock_timeout` (1s), after which
 * an autovacuum of the table gives its lock up: that is no reason to fall back.
 */
const TRUNCATE_LOCK_WAIT = '2s';


/** Why TRUNCATE gives way to DELETE, by sqlstate. */
const TRUNCATE_REFUSED: Readonly<Record<string, string>> = {
  '0A000': 'a foreign key points at it',
  '42501': 'the role may not truncate it',
  '55P03': `others (readers of the table) held its lock for more than ${TRUNCATE_LOCK_WAIT}`,
};

/** Writes row images into PostgreSQL: one DELETE per table batch, then COPY, inside one transaction. */
export class PostgresTarget implements TargetWriter {
  readonly capabilities: TargetCapabilities;
  readonly #options: ResolvedPostgresOptions;

  constructor(options: ResolvedPostgresOptions) {
    // On the connection, not per transaction: a role that may not set it fails at connect, before any write.
    this.#options = options.applyAsReplica ? { ...options, sessionSettings: { ...options.sessionSettings, ...REPLICA_SETTINGS } } : options;
    // a session written as a replica fires no foreign key (applyAsReplica, or the setting given directly)
    const replica = this.#options.sessionSettings['session_replication_role']?.toLowerCase() === 'replica';
    this.capabilities = Object.freeze({ transactions: true, truncate: true, localChangeGuard: true, schema: true, foreignKeys: !replica, makeDelta: true, selectListDigests: true });
  }

  async open(spec: DatabaseSpec, context: OpenContext): Promise<TargetSession> {
    const client = await connect(spec, context, this.#options);
    // a deadlock_timeout the config asks for is kept
    const giving = !('deadlock_timeout' in this.#options.sessionSettings) && await preferToBeTheDeadlockVictim(client, spec.name, context.log);
    return new PostgresTargetSession(spec.name, client, context.log, new DeadlockYield(giving));
  }
}

class PostgresTargetSession implements TargetSession {
  readonly #db: string;
  readonly #client: pg.Client;
  readonly #log: Logger;
  readonly #keyIndexes: KeyIndexes;
  readonly #deadlocks: DeadlockYield;
  readonly #identities = new AlwaysIdentity();
  readonly #referenced = new ReferencedTables();
  readonly #deferred = new DeferredDeletes();
  readonly #postponed = new PostponedWrites();
  readonly #deltas: DeltaRecorder;

  constructor(db: string, client: pg.Client, log: Logger, deadlocks: DeadlockYield) {
    this.#db = db;
    this.#client = client;
    this.#deltas = new DeltaRecorder(client);
    this.#log = log;
    this.#keyIndexes = new KeyIndexes(client);
    this.#deadlocks = deadlocks;
  }

  describeTable(table: TableRef): Promise<TableShape | undefined> {
    return describeTable(this.#client, table);
  }

  describeTables(tables: readonly TableRef[]): Promise<Array<TableShape | undefined>> {
    return describeTables(this.#client, tables);
  }

  requiredColumns(tables: readonly TableRef[]): Promise<Array<readonly string[]>> {
    return requiredColumns(this.#client, tables);
  }

  missingPrivileges(shapes: readonly TableShape[]): Promise<{ role: string; missing: Array<readonly string[]> }> {
    return missingWritePrivileges(this.#client, shapes);
  }

  summarizeRows(request: RowSummaryRequest): Promise<RowSummary> {
    return summarizeRows(this.#client, request);
  }

  rowDigests(request: RowDigestRequest): AsyncIterable<PartitionDigests> {
    return rowDigests(this.#client, request);
  }

  /** A run starts: a foreign key added since the last run counts (a daemon keeps its sessions across runs). */
  async beginRun(): Promise<void> {
    this.#referenced.forget();
  }

  async begin(): Promise<void> {
    // READ COMMITTED: after waiting for a row lock, each statement sees what the other writer committed,
    // which the local-change guard relies on; and the transaction-local setting keeps capture triggers quiet.
    this.#deferred.clear();
    this.#postponed.clear();
    this.#deltas.forgetAbsent();
    this.#deltas.clear();
    await this.#client.query(`BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_catalog.set_config(${quoteLiteral(SKIP_CAPTURE_SETTING)}, 'on', true)${this.#deadlocks.beginSql}`);
  }

  apply(batch: ApplyBatch): Promise<ApplyResult> {
    // A run that is aborted (a kick's timeout, a daemon that lost its lock) must not wait on a lock forever.
    // keys compared with this database's operators (the shape is the first source's)
    return cancellable(this.#client, batch.signal, async () => this.#applyAndRecord({ ...batch, shape: await this.#keyIndexes.local(batch.shape) })).catch((error: unknown) => {
      this.#deadlocks.failed(error);
      // rows written in place (additive columns, a table a foreign key points at) needed UPDATE too
      const inPlace = (batch.shape.additive ?? []).length > 0 || this.#referenced.known(batch.shape);
      throw explainApplyError(error, this.#db, this.#client.user, batch.shape, batch.guard !== undefined, inPlace);
    });
  }

  /** The batch, then (makedelta) its keys kept to be recorded once the transaction's writes are done; without makedelta, the batch alone. */
  async #applyAndRecord(batch: ApplyBatch): Promise<ApplyResult> {
    if (batch.makeDelta === undefined) return this.#apply(batch);
    const inPlace = (batch.shape.additive ?? []).length > 0 || await this.#referenced.has(this.#client, batch.shape);
    const recording = await this.#deltas.prepare(batch, inPlace);
    // DELETE and COPY: the DELETE returns the keys it found, so a key it did not is recorded `I`
    const found = recording !== undefined && recording.before === undefined ? new Set<KeyText>() : undefined;
    const result = await this.#apply(batch, found);
    if (recording) this.#deltas.add(batch, found === undefined ? recording : { existed: found }, result.skipped);
    return result;
  }

  /** `found`, when given, receives the keys whose rows the DELETE path found (makedelta's `I` or `U`). */
  async #apply(batch: ApplyBatch, found?: Set<KeyText>): Promise<ApplyResult> {
    // a table a foreign key points at: rows updated in place (its children keep their parent), deletes last
    if (await this.#referenced.has(this.#client, batch.shape)) return applyReferenced(this.#client, batch, this.#keyIndexes, this.#identities, this.#deferred, this.#postponed);
    // additive columns: rows updated in place, so that a user's increment waiting on one still finds it
    if ((batch.shape.additive ?? []).length > 0) return this.#applyAdditive(batch);
    const { deleted, skipped } = batch.guard === undefined
      ? { deleted: await this.#delete(batch.shape, batch.deletes, found), skipped: new Set<KeyText>() }
      : await this.#guardedDelete(batch, batch.guard, found);
    const rows = skipped.size === 0 ? batch.rows : batch.rows.map((rowBatch) => rowBatch.filter(skipped, false));
    const buffers = rows.map((rowBatch) => rowBatch.data).filter((data) => data.length > 0);
    if (buffers.length === 0) return { deleted, inserted: 0, skipped: [...skipped] };
    const copy = async (): Promise<ApplyResult> => ({
      deleted, skipped: [...skipped], inserted: await copyIn(this.#client, `COPY ${qualified(batch.shape.table)} (${columnList(batch.shape)}) FROM STDIN`, buffers).catch((error: unknown) => {
        throw locateCopyError(error, rows, this.#db);
      }),
    });
    // the deletes are done either way: only the rows wait
    return this.#postponed.pending ? this.#writeOrPutOff(batch.shape, copy, rows, deleted) : copy();
  }

  /** A batch of a table with additive columns, in place; while writes are put off, its keys without an image are deleted now, as a COPY's are, and only its rows may wait. */
  async #applyAdditive(batch: ApplyBatch): Promise<ApplyResult> {
    const inPlace = (part: ApplyBatch) => applyInPlace(this.#client, part, this.#keyIndexes, this.#identities);
    if (!this.#postponed.pending) return inPlace(batch);
    const imaged = new Set(batch.rows.flatMap((rows) => [...rows.keys()]));
    const lost = batch.deletes.filter((key) => !imaged.has(key));
    const gone = lost.length === 0 ? { deleted: 0, inserted: 0, skipped: [] } : await inPlace({ ...batch, deletes: lost, rows: [] });
    const kept: ApplyBatch = { ...batch, deletes: batch.deletes.filter((key) => imaged.has(key)) };
    const written = await this.#writeOrPutOff(batch.shape, () => inPlace(kept), batch.rows);
    return { deleted: gone.deleted + written.deleted, inserted: written.inserted, skipped: [...gone.skipped, ...written.skipped] };
  }

  /** A write while writes are put off: rows pointing at put-off rows are put off too. */
  async #writeOrPutOff(shape: TableShape, write: () => Promise<ApplyResult>, rows: readonly RowBatch[], deleted = 0): Promise<ApplyResult> {
    await this.#client.query('SAVEPOINT bucardo_put_off');
    try {
      const written = await write();
      await this.#client.query('RELEASE SAVEPOINT bucardo_put_off');
      return written;
    } catch (error) {
      if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
      await this.#client.query('ROLLBACK TO SAVEPOINT bucardo_put_off');
      if (!await this.#postponed.pointsAtPutOff(this.#client, error)) throw error;
      return this.#postponed.add(shape, write, rows, deleted);
    }
  }

  /**
   * Deletes the batch's keys unless a user changed one of them here after this run captured this
   * database: that change is newer than what the run brings and must survive (the next run carries it).
   */
  async #guardedDelete(batch: ApplyBatch, guard: string, found?: Set<KeyText>): Promise<{ deleted: number; skipped: ReadonlySet<KeyText> }> {
    const hide = await this.#keyIndexes.hideKeys(batch.shape, batch.deletes.length);
    const write = (keys: readonly KeyText[]) => {
      // a second write follows a rollback to the savepoint: what the first found is undone with it
      found?.clear();
      return this.#delete(batch.shape, keys, found);
    };
    const { written, locked } = await guardedWrite(this.#client, batch.shape, batch.deletes, guard, hide, write, this.#deltas.exceptOrigin(batch));
    return { deleted: written, skipped: locked };
  }

  /**
   * What a transaction's batches left for its end: the held deletes (children first), then the writes put
   * off for them; then (makedelta) the keys written, whose rows are now as the transaction leaves them.
   */
  async #finishWrites(): Promise<void> {
    await this.#deferred.run((shapes) => this.#referenced.deleteOrder(this.#client, shapes), (held) => this.#deleteHeld(held));
    await this.#postponed.run();
    await this.#deltas.flush();
  }

  /** Held deletes of a table foreign keys point at, under the guard their batch came with. */
  async #deleteHeld(held: HeldDeletes): Promise<void> {
    if (this.#postponed.pending) await this.#refuseToCutPutOffRows(held);
    try {
      if (held.guard === undefined) {
        await this.#delete(held.shape, held.keys);
        return;
      }
      const hide = await this.#keyIndexes.hideKeys(held.shape, held.keys.length);
      const { locked } = await guardedWrite(this.#client, held.shape, held.keys, held.guard, hide, (keys) => this.#delete(held.shape, keys), held.exceptOrigin);
      this.#deltas.leaveAlone(held.shape, locked);
      if (locked.size > 0) this.#log.log('debug', `${locked.size} keys of ${formatTable(held.shape.table)} changed here after the capture: left to the next run`, { db: this.#db });
    } catch (error) {
      if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
      // the run writes these keys after every other key of its tables: what still points at them is not the origin's
      const table = formatTable(held.shape.table);
      throw new BucardoError('APPLY_FAILED', `${serverMessage(error)}: rows of ${table} deleted on the origin are still pointed at on database "${this.#db}": by rows the origin does not have (written on "${this.#db}", or added or changed on another source in this run, a conflict between tables that no strategy settles), or through a foreign key the sync's first source does not have. Delete or move those rows, or write with applyAsReplica`, {
        db: this.#db, table, sqlstate: FOREIGN_KEY_VIOLATION, cause: error,
      });
    }
  }

  /**
   * With writes put off, a row still pointing at a held key may be one whose move away was put off (a
   * child moved to a new parent that takes a unique value from the deleted one): the delete would take it
   * with it (CASCADE) or fail, and nothing can come first. Refused, naming the tables, before anything is lost.
   */
  async #refuseToCutPutOffRows(held: HeldDeletes): Promise<void> {
    const child = await stillPointedAtBy(this.#client, held.shape, held.keys, await this.#keyIndexes.hideKeys(held.shape, held.keys.length), this.#postponed.tables());
    if (child === undefined) return;
    const table = formatTable(held.shape.table);
    throw new BucardoError('APPLY_FAILED', `Rows of ${table} deleted on the origin are still pointed at by rows of ${child} on database "${this.#db}", while this transaction put off rows that take a unique value from deleted rows (and the rows pointing at those): a child moved to such a new row moves only after the delete, which would take it with it or fail. Make the change in two runs on the origin (move the children first, or give the new row its unique value in a second step), or write with applyAsReplica`, {
      db: this.#db, table, sqlstate: FOREIGN_KEY_VIOLATION,
    });
  }

  /** Deletes the keys' rows; with `found`, the DELETE returns the keys it found there, added to it. */
  async #delete(shape: TableShape, keys: readonly KeyText[], found?: Set<KeyText>): Promise<number> {
    if (keys.length === 0) return 0;
    const { sql, params } = keyCondition(shape, keys, await this.#keyIndexes.hideKeys(shape, keys.length));
    const text = `DELETE FROM ONLY ${qualified(shape.table)} WHERE ${sql}`;
    if (found === undefined) return (await this.#client.query(text, params)).rowCount ?? 0;
    const result = await this.#client.query<string[]>({ text: `${text} RETURNING ${keyColumnList(shape)}`, values: params, rowMode: 'array' });
    const keyOf = keyMaker(shape.key.map((column) => column.type));
    for (const row of result.rows) found.add(keyOf(row));
    return result.rowCount ?? 0;
  }

  /** TRUNCATE, or DELETE where TRUNCATE is not allowed or would wait for the table's readers (`TRUNCATE_REFUSED`); recorded with makedelta. */
  truncate(shape: TableShape, signal: AbortSignal, options?: TruncateOptions): Promise<number | undefined> {
    return cancellable(this.#client, signal, async () => {
      const emptied = await this.#empty(shape);
      if (options?.makeDelta) await this.#deltas.recordTruncate(shape, options.makeDelta.sync);
      return emptied;
    });
  }

  /** makedelta: a whole-table copy recorded as a truncate here, for the syncs reading this database. */
  recordTruncate(shape: TableShape, signal: AbortSignal, makeDelta: { readonly sync: string }): Promise<void> {
    return cancellable(this.#client, signal, () => this.#deltas.recordTruncate(shape, makeDelta.sync));
  }

  async #empty(shape: TableShape): Promise<number | undefined> {
    // the wait is bounded for the TRUNCATE only: the setting is put back before the savepoint is released
    // two statements in one round trip: pg gives one result each
    const [, saved] = await this.#client.query(
      `SAVEPOINT bucardo_truncate; SELECT pg_catalog.current_setting('lock_timeout') AS wait, pg_catalog.set_config('lock_timeout', ${quoteLiteral(TRUNCATE_LOCK_WAIT)}, true)`,
    ) as unknown as [pg.QueryResult, pg.QueryResult<{ wait: string }>];
    try {
      await this.#client.query(`TRUNCATE ONLY ${qualified(shape.table)}`);
      await this.#client.query(`SELECT pg_catalog.set_config('lock_timeout', ${quoteLiteral(saved.rows[0]!.wait)}, true); RELEASE SAVEPOINT bucardo_truncate`);
      return undefined;
    } catch (error) {
      const reason = TRUNCATE_REFUSED[(error as { code?: string }).code ?? ''];
      if (reason === undefined) throw error;
      // the savepoint's rollback puts the setting back too
      await this.#client.query('ROLLBACK TO SAVEPOINT bucardo_truncate');
      this.#log.log('normal', `Emptying ${formatTable(shape.table)} on ${this.#db} with DELETE, not TRUNCATE: ${reason}`, { db: this.#db, table: formatTable(shape.table) });
      const result = await this.#client.query(`DELETE FROM ONLY ${qualified(shape.table)}`);
      return result.rowCount ?? undefined;
    }
  }

  async isEmpty(table: TableRef): Promise<boolean> {
    const result = await this.#client.query<{ empty: string }>(`SELECT NOT EXISTS (SELECT 1 FROM ONLY ${qualified(table)}) AS empty`);
    return result.rows[0]?.empty === 't';
  }

  readSequence(sequence: TableRef): Promise<SequenceState | undefined> {
    return readSequence(this.#client, sequence);
  }

  setSequence(sequence: TableRef, state: SequenceState): Promise<void> {
    return setSequence(this.#client, sequence, state);
  }

  /** Deferred constraints checked before any database commits, so that a refusal rolls back everywhere. */
  async prepareCommit(signal: AbortSignal): Promise<void> {
    // a deferred check may wait on a lock: nothing is committed yet, so a stopped run may cut it short
    await cancellable(this.#client, signal, async () => {
      // the keys tables that foreign keys point at lost, now that their children are written: children first
      await this.#finishWrites();
      await this.#client.query('SET CONSTRAINTS ALL IMMEDIATE');
    }).catch((error: unknown) => {
      this.#deadlocks.failed(error);
      throw explainApplyError(error, this.#db, this.#client.user);
    });
  }

  async commit(): Promise<void> {
    // a caller that did not prepare: the held deletes and put-off writes still go, before the commit
    await this.#finishWrites();
    await this.#client.query('COMMIT');
    this.#deadlocks.committed();
  }

  async rollback(): Promise<void> {
    this.#deferred.clear();
    this.#postponed.clear();
    this.#deltas.clear();
    await this.#client.query('ROLLBACK');
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}
