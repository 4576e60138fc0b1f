import { access, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BucardoError,
  type ApplyBatch, type ApplyResult, type DatabaseSpec, type Logger, type OpenContext, type RowBatch, type RunInfo,
  type TableShape, type TargetCapabilities, type TargetSession, type TargetWriter, type TextValue,
} from '@bucardo/plugin-sdk';
import { makeDirectory } from './make-directory.js';
import { finalFileName, tempFileName } from './file-names.js';
import { publishFile, syncDirectory } from './file-publish.js';
import { publishLeftovers } from './leftovers.js';
import { dirOf, formatOf } from './params.js';
import {
  COPY_END, copyStatement, deleteStatements, emptyingStatements, fileHeader, insertStatements, tableComment,
} from './sql-text.js';
import type { FileFormat, ResolvedSqlfileOptions } from './sqlfile-options.js';
import { newToken, tokenLine, transactionEnd } from './transaction-marker.js';
import { writeAll } from './write-all.js';

/**
 * A run is the file's unit: it is written to a `.tmp` name and published (renamed) when the run ends, so
 * `transactions` holds in the sense that matters to readers: a file holds whole transactions, each one
 * every database committed, and a rolled-back transaction leaves nothing behind.
 */
export const SQLFILE_CAPABILITIES: Required<TargetCapabilities> = Object.freeze({
  transactions: true,
  // a file empties a table as its replay will: with a DELETE of every row, in the file's transaction
  truncate: true,
  localChangeGuard: false,
  schema: false,
  // a file checks nothing: its reader replays whole transactions
  foreignKeys: false,
  // a file has no change capture for another sync to read
  makeDelta: false,
  // a file cannot read its rows back (no summarizeRows): compare leaves it out
  selectListDigests: false,
});

/** Makes the directory if needed and proves it writable by creating and removing a file in it. */
export async function prepareDirectory(spec: DatabaseSpec): Promise<string> {
  const dir = dirOf(spec);
  const probe = join(dir, `.bucardo-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    await makeDirectory(dir);
    await writeFile(probe, '', { flag: 'wx' });
    await rm(probe, { force: true });
  } catch (error) {
    throw new BucardoError('CONNECTION_FAILED', `Cannot write to directory ${dir} of database "${spec.name}": ${(error as Error).message}`, {
      db: spec.name, item: dir, cause: error,
    });
  }
  return dir;
}

export class SqlfileTarget implements TargetWriter {
  readonly capabilities = SQLFILE_CAPABILITIES;
  readonly #options: ResolvedSqlfileOptions;

  constructor(options: ResolvedSqlfileOptions) {
    this.#options = options;
  }

  async open(spec: DatabaseSpec, context: OpenContext): Promise<SqlfileSession> {
    const dir = await prepareDirectory(spec);
    return new SqlfileSession(spec, dir, formatOf(spec), this.#options, context.log);
  }
}

interface OpenRun {
  readonly info: RunInfo;
  readonly tmpPath: string;
  readonly finalPath: string;
  readonly handle: FileHandle;
  /** What the line ending each transaction names (`transaction-marker.ts`). */
  readonly token: string;
  /** The header's length: a file longer than it up to `committedBytes` holds a committed transaction. */
  readonly headerBytes: number;
  /** The file's length up to its last committed transaction. */
  committedBytes: number;
  /** The file's length: what the current transaction wrote so far (buffers spilled, `prepareCommit`) included. */
  bytes: number;
}

/**
 * One target session: a file per run (`beginRun` … `endRun`), and per transaction a buffer written on to
 * the file whenever it holds `bufferBytes` (a table copied whole would otherwise be held whole), and by
 * `prepareCommit` with the transaction's end line (flushed to disk); `commit` keeps it and `rollback` cuts
 * the file back. Whatever the run's outcome, its committed transactions are published: the core does not
 * send them again (the next run resumes after them). A file that could not be published, or that a
 * stopped process left, is published by the next run of its sync. A daemon keeps the session across runs.
 */
export class SqlfileSession implements TargetSession {
  readonly #spec: DatabaseSpec;
  readonly #dir: string;
  readonly #format: FileFormat;
  readonly #options: ResolvedSqlfileOptions;
  readonly #log: Logger;
  #run: OpenRun | undefined;
  /** The current transaction's text not written to the file yet, or undefined outside a transaction. */
  #buffer: Array<string | Uint8Array> | undefined;
  /** About how many bytes `#buffer` holds (string lengths, not their UTF-8 bytes: it decides when to write). */
  #buffered = 0;
  /** Whether `prepareCommit` wrote the current transaction's end: it is not written twice. */
  #prepared = false;

  constructor(spec: DatabaseSpec, dir: string, format: FileFormat, options: ResolvedSqlfileOptions, log: Logger) {
    this.#spec = spec;
    this.#dir = dir;
    this.#format = format;
    this.#options = options;
    this.#log = log;
  }

  async beginRun(run: RunInfo): Promise<void> {
    if (this.#run) {
      this.#log.log('warn', `run ${this.#run.info.runId} never ended`, { db: this.#spec.name });
      await this.#finish(this.#run);
    }
    await publishLeftovers(this.#dir, run.sync, tempFileName(run), this.#options.fsync, this.#log, this.#spec.name).catch((error: unknown) => {
      throw this.#error(`Cannot publish a file an earlier run of sync "${run.sync}" left unpublished in ${this.#dir} (the run waits for it: a later file published first would be replayed out of order)`, error);
    });
    const tmpPath = join(this.#dir, tempFileName(run));
    const finalPath = join(this.#dir, finalFileName(run));
    const token = newToken();
    const header = Buffer.from(fileHeader(run, this.#format, this.#spec.name) + tokenLine(token), 'utf8');
    let handle: FileHandle | undefined;
    try {
      await makeDirectory(this.#dir);
      // never over a file of that name: it would be another run's (a database sharing the directory)
      handle = await open(tmpPath, 'wx', 0o644);
      await writeAll(handle, header, 0);
      // the new name must survive a power loss as the transactions flushed into it do
      if (this.#options.fsync) {
        await handle.sync();
        await syncDirectory(this.#dir);
      }
    } catch (error) {
      await handle?.close().catch(() => undefined);
      // a file that was there already is not ours to remove
      if (handle) await rm(tmpPath, { force: true }).catch(() => undefined);
      throw this.#error(`Cannot create ${tmpPath}`, error);
    }
    this.#run = { info: run, tmpPath, finalPath, handle, token, headerBytes: header.length, committedBytes: header.length, bytes: header.length };
    this.#endTransaction();
  }

  async begin(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (!this.#run) {
      throw new BucardoError('APPLY_FAILED', `Database "${this.#spec.name}" (type ${this.#spec.type}) writes one file per run: begin() came before beginRun()`, { db: this.#spec.name });
    }
    // a transaction prepared and never committed nor rolled back is not this one's
    await this.rollback();
    this.#buffer = [];
  }

  /** Outside a transaction: nothing buffered, nothing prepared. */
  #endTransaction(): void {
    this.#buffer = undefined;
    this.#buffered = 0;
    this.#prepared = false;
  }

  async apply(batch: ApplyBatch): Promise<ApplyResult> {
    batch.signal.throwIfAborted();
    const buffer = this.#transaction('apply');
    const before = buffer.length;
    const { shape } = batch;
    const rows = batch.rows.filter((rowBatch) => rowBatch.rowCount > 0);
    const inserted = rows.reduce((sum, rowBatch) => sum + rowBatch.rowCount, 0);
    const deletes = keysToDelete(batch, rows);
    if (deletes.length === 0 && inserted === 0) return { deleted: 0, inserted: 0, skipped: [] };
    buffer.push(tableComment(shape, deletes.length, inserted));
    buffer.push(...deleteStatements(shape, deletes, this.#options.chunkSize));
    if (inserted > 0) {
      if (this.#format === 'sql') {
        buffer.push(...insertStatements(shape, allRows(rows), this.#options.chunkSize));
      } else {
        buffer.push(copyStatement(shape));
        for (const rowBatch of rows) {
          buffer.push(rowBatch.data);
          if (rowBatch.data[rowBatch.data.length - 1] !== 0x0a) buffer.push('\n');
        }
        buffer.push(COPY_END);
      }
    }
    for (let index = before; index < buffer.length; index++) this.#buffered += buffer[index]!.length;
    if (this.#buffered >= this.#options.bufferBytes) await this.#spill();
    return { deleted: deletes.length, inserted, skipped: [] };
  }

  /**
   * Empties the table in the file: `DELETE FROM` every row, in this transaction, where the replaying
   * database runs it (a source's TRUNCATE, an initial copy with onetimecopy=1, a fullcopy member, a table
   * copied whole). A DELETE rather than a TRUNCATE: it needs no lock that waits for the replaying
   * database's readers, and a foreign key pointing at the table does not refuse it (its children's own
   * rows come in the same file). The rows removed are not known here.
   */
  async truncate(shape: TableShape, signal?: AbortSignal): Promise<undefined> {
    signal?.throwIfAborted();
    this.#transaction('truncate').push(...emptyingStatements(shape));
    return undefined;
  }

  /** The current transaction's text, to add to; a write outside a transaction is the caller's error. */
  #transaction(call: 'apply' | 'truncate'): Array<string | Uint8Array> {
    if (!this.#buffer) throw new BucardoError('APPLY_FAILED', `${call}() outside a transaction on database "${this.#spec.name}"`, { db: this.#spec.name });
    return this.#buffer;
  }

  /**
   * A file holds no table to look into, and what it carries replaces rows by key when replayed, so a copy
   * into it overwrites nothing it should keep: onetimecopy=2 always copies to a flat file.
   */
  async isEmpty(): Promise<boolean> {
    return true;
  }

  /**
   * Writes what the transaction buffered on to the file, with no end line yet: a crash leaves a tail that
   * the next run's publish cuts off (after the last end line), and a rollback cuts it off at once. A
   * failure (a full disk) fails the apply, before any database commits.
   */
  async #spill(): Promise<void> {
    const run = this.#run!;
    const text = joined(this.#buffer!);
    try {
      // the transaction's first write: a tail a failed cut left (a rollback's) goes first, or a crash
      // before this transaction ends would leave the old tail's end line after part of this one
      if (run.bytes === run.committedBytes) await run.handle.truncate(run.bytes);
      await writeAll(run.handle, text, run.bytes);
    } catch (error) {
      await run.handle.truncate(run.bytes).catch(() => undefined);
      throw this.#error(`Cannot write ${run.tmpPath}`, error);
    }
    run.bytes += text.length;
    this.#buffer = [];
    this.#buffered = 0;
  }

  /**
   * Writes the rest of the transaction and its end line to the file, flushed to disk, before any database
   * commits: a full disk fails it there, and every database rolls back, where a failure in `commit` would
   * come after others committed.
   */
  async prepareCommit(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const buffer = this.#buffer;
    const run = this.#run;
    if (!buffer || !run || this.#prepared) return;
    if (buffer.length === 0 && run.bytes === run.committedBytes) return;
    const text = joined([...buffer, transactionEnd(run.token)]);
    try {
      await writeAll(run.handle, text, run.bytes);
      // the file ends with this transaction: a longer one rolled back earlier, whose cut may have failed,
      // leaves no tail behind it (a crash would publish that tail after this transaction's end line)
      await run.handle.truncate(run.bytes + text.length);
      if (this.#options.fsync) await run.handle.sync();
    } catch (error) {
      // what was spilled goes too: the transaction rolls back everywhere
      run.bytes = run.committedBytes;
      await run.handle.truncate(run.committedBytes).catch(() => undefined);
      throw this.#error(`Cannot write ${run.tmpPath}`, error);
    }
    run.bytes += text.length;
    this.#buffer = [];
    this.#buffered = 0;
    this.#prepared = true;
  }

  async commit(): Promise<void> {
    await this.prepareCommit();
    this.#endTransaction();
    const run = this.#run;
    if (!run || run.bytes === run.committedBytes) return;
    run.committedBytes = run.bytes;
  }

  async rollback(): Promise<void> {
    this.#endTransaction();
    const run = this.#run;
    if (!run || run.bytes === run.committedBytes) return;
    // the transaction was written (spilled, or by prepareCommit): it is cut off again (if that fails, the next one written
    // cuts the file after itself, and a publish cuts it after the last committed one)
    run.bytes = run.committedBytes;
    await run.handle.truncate(run.committedBytes).catch((error: unknown) => {
      this.#log.log('warn', `could not cut a rolled-back transaction off ${run.tmpPath}: ${String(error)}`, { db: this.#spec.name });
    });
  }

  async endRun(run: RunInfo & { readonly outcome: 'good' | 'empty' | 'bad' }): Promise<void> {
    await this.rollback();
    const current = this.#run;
    if (!current) return;
    if (current.info.runId !== run.runId) this.#log.log('warn', `run ${run.runId} ended but the open file is for run ${current.info.runId}`, { db: this.#spec.name });
    else if (run.outcome === 'bad' && holdsCommitted(current)) this.#log.log('normal', `Run ${run.runId} failed after committing transactions: ${current.finalPath} holds them`, { db: this.#spec.name });
    await this.#finish(current);
  }

  async close(): Promise<void> {
    await this.rollback();
    // a run that never ended (the process stops): what it committed is published, or left for the next run
    if (this.#run) {
      await this.#finish(this.#run).catch((error: unknown) => {
        this.#log.log('warn', String((error as Error).message ?? error), { db: this.#spec.name });
      });
    }
  }

  /** Publishes the run's file if it holds a committed transaction, or removes it. */
  async #finish(run: OpenRun): Promise<void> {
    this.#run = undefined;
    if (holdsCommitted(run)) await this.#publish(run);
    else await this.#discard(run);
  }

  async #publish(run: OpenRun): Promise<void> {
    let target: string;
    try {
      target = await publishFile(run.handle, run.tmpPath, run.committedBytes, run.finalPath, this.#options.fsync);
    } catch (error) {
      // the file holds committed transactions, which no run sends again: kept for the next run to publish,
      // unless the file itself went (its directory removed): then they are lost downstream, and said so
      const kept = await access(run.tmpPath).then(() => true, (missing: unknown) => (missing as { code?: string }).code !== 'ENOENT');
      throw this.#error(kept
        ? `Cannot publish ${run.finalPath} (its transactions stay in ${run.tmpPath}, which the next run of sync "${run.info.sync}" publishes)`
        : `Cannot publish ${run.finalPath}, and ${run.tmpPath} is gone (its directory removed?): the transactions of run ${run.info.runId} of sync "${run.info.sync}" are in no file, and no run sends them again; bucardo update sync ${run.info.sync} onetimecopy=1 writes a whole copy for the files' reader (and copies every table to the sync's other targets again)`, error);
    }
    this.#log.log('verbose', `wrote ${target}`, { db: this.#spec.name });
  }

  async #discard(run: OpenRun): Promise<void> {
    await run.handle.close().catch(() => undefined);
    await rm(run.tmpPath, { force: true }).catch((error: unknown) => {
      this.#log.log('warn', `could not remove ${run.tmpPath}: ${String(error)}`, { db: this.#spec.name });
    });
  }

  #error(what: string, cause: unknown): BucardoError {
    return new BucardoError('APPLY_FAILED', `${what} for database "${this.#spec.name}": ${(cause as Error).message}`, { db: this.#spec.name, cause });
  }
}

/**
 * The keys to delete before the rows go in: replay is delete-then-insert by key, so replaying a file twice,
 * or into a database that has the rows, still ends with the source's rows rather than a duplicate key. A
 * change batch deletes every key it writes already; only a copy sends rows and no deletes, and then the
 * rows' own keys are deleted (not looked at per row on the change path, which is every apply).
 */
function keysToDelete(batch: ApplyBatch, rows: readonly RowBatch[]): readonly string[] {
  if (batch.shape.key.length === 0 || batch.deletes.length > 0) return batch.deletes;
  return rows.flatMap((rowBatch) => [...rowBatch.keys()]);
}

/** Text and rows as one buffer, to write. */
function joined(chunks: ReadonlyArray<string | Uint8Array>): Buffer {
  return Buffer.concat(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)));
}

function* allRows(batches: readonly RowBatch[]): IterableIterator<TextValue[]> {
  for (const rowBatch of batches) yield* rowBatch.rows();
}

/** Whether a run's file holds a committed transaction (more than its header up to the committed length). */
function holdsCommitted(run: OpenRun): boolean {
  return run.committedBytes > run.headerBytes;
}
