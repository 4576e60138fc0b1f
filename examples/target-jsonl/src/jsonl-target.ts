/**
 * The JSON-lines target: every run appends, to one file per table in the database's directory, a line
 * per key deleted, a line per row written and a line per truncate. A transaction's lines are held in memory until it commits
 * and a run's until it ends good, so a rolled-back transaction or a bad run leaves nothing in the files.
 */
import { appendFile, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BucardoError, decodeKey,
  type ApplyBatch, type ApplyResult, type DatabaseSpec, type KeyText, type OpenContext, type RunInfo, type TableRef, type TableShape,
  type TargetCapabilities, type TargetSession, type TargetWriter, type TextValue,
} from '@bucardo/plugin-sdk';

/** One line of a table's file. Values are PostgreSQL's text output of each column (NULL as null). */
export type JsonlLine =
  | { readonly sync: string; readonly run: string; readonly op: 'delete'; readonly key: Record<string, string> }
  | { readonly sync: string; readonly run: string; readonly op: 'write'; readonly row: Record<string, TextValue> }
  | { readonly sync: string; readonly run: string; readonly op: 'truncate' };

/**
 * The file a table's lines go to: `<schema>.<table>.jsonl`, with `%`, `.`, `/`, `\` and NUL in either name
 * percent-encoded, so that schema `a.b` table `c` and schema `a` table `b.c` get files of their own.
 */
export function fileNameOf(table: TableRef): string {
  const part = (name: string) => name.replace(/[%./\\\u0000]/g, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  return `${part(table.schema)}.${part(table.name)}.jsonl`;
}

export class JsonlTarget implements TargetWriter {
  /**
   * Nothing is visible before a good run ends: a rolled-back transaction leaves nothing behind. A truncate
   * is a line too: without truncate(), a source's TRUNCATE would stop every run of the sync here.
   */
  readonly capabilities: TargetCapabilities = Object.freeze({ transactions: true, truncate: true, localChangeGuard: false, schema: false });
  readonly #fsync: boolean;

  constructor(options: { readonly fsync?: boolean } = {}) {
    this.#fsync = options.fsync ?? true;
  }

  async open(spec: DatabaseSpec, context: OpenContext): Promise<TargetSession> {
    const dir = spec.params.dir;
    if (!dir) throw new BucardoError('INVALID_ARGUMENT', `Database "${spec.name}" has no dir parameter`, { db: spec.name, item: 'dir' });
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new BucardoError('CONNECTION_FAILED', `Cannot create directory ${dir} of database "${spec.name}": ${(error as Error).message}`, { db: spec.name, cause: error });
    }
    context.log.log('debug', `jsonl: writing to ${dir}`, { db: spec.name });
    return new JsonlSession(spec.name, dir, this.#fsync);
  }
}

/** Lines by file name. */
type Pending = Map<string, string[]>;

class JsonlSession implements TargetSession {
  readonly #db: string;
  readonly #dir: string;
  readonly #fsync: boolean;
  #run: RunInfo | undefined;
  /** Lines of the run's committed transactions. */
  #committed: Pending = new Map();
  /** Lines of the open transaction. */
  #transaction: Pending | undefined;

  constructor(db: string, dir: string, fsync: boolean) {
    this.#db = db;
    this.#dir = dir;
    this.#fsync = fsync;
  }

  async beginRun(run: RunInfo): Promise<void> {
    // lines an earlier run could not append are still in #committed: they go out with this run's
    this.#run = run;
  }

  async begin(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#transaction = new Map();
  }

  async apply(batch: ApplyBatch): Promise<ApplyResult> {
    batch.signal.throwIfAborted();
    const lines = this.#openTransaction('apply()');
    const { shape } = batch;
    const stamp = this.#stamp();
    const out: string[] = [];
    for (const key of batch.deletes) out.push(JSON.stringify({ ...stamp, op: 'delete', key: keyRecord(shape, key) }));
    let inserted = 0;
    const written = new Set<KeyText>();
    for (const rows of batch.rows) {
      for (const row of rows.rows()) {
        out.push(JSON.stringify({ ...stamp, op: 'write', row: rowRecord(shape, row) }));
        written.add(rows.keyOf(row));
        inserted++;
      }
    }
    if (out.length > 0) push(lines, fileNameOf(shape.table), out);
    // a file cannot tell which keys held a row: the keys the source deleted, not those of the rows written too
    return { deleted: batch.deletes.filter((key) => !written.has(key)).length, inserted, skipped: [] };
  }

  /** A line that empties the table when the file is folded; how many rows that removes, a file cannot tell. */
  async truncate(shape: TableShape, signal: AbortSignal): Promise<number | undefined> {
    signal.throwIfAborted();
    push(this.#openTransaction('truncate()'), fileNameOf(shape.table), [JSON.stringify({ ...this.#stamp(), op: 'truncate' })]);
    return undefined;
  }

  #openTransaction(call: string): Pending {
    if (!this.#transaction) throw new BucardoError('APPLY_FAILED', `${call} outside a transaction on database "${this.#db}"`, { db: this.#db });
    return this.#transaction;
  }

  #stamp(): { sync: string; run: string } {
    return { sync: this.#run?.sync ?? '', run: this.#run?.runId ?? '' };
  }

  async commit(): Promise<void> {
    const lines = this.#transaction;
    this.#transaction = undefined;
    if (!lines) return;
    for (const [file, more] of lines) push(this.#committed, file, more);
    // without a run (a caller that does not use beginRun/endRun), a commit writes at once
    if (!this.#run) await this.#flush();
  }

  async rollback(): Promise<void> {
    this.#transaction = undefined;
  }

  /**
   * Appends the run's committed lines whatever its outcome: the core does not send committed transactions
   * again (after a bad run, the next one resumes after them).
   */
  async endRun(): Promise<void> {
    this.#transaction = undefined;
    this.#run = undefined;
    await this.#flush();
  }

  async close(): Promise<void> {
    this.#transaction = undefined;
    this.#run = undefined;
    await this.#flush().catch(() => undefined);
  }

  /** Appends the committed lines, one write per file; those a failed write leaves stay for the next flush. */
  async #flush(): Promise<void> {
    for (const [file, lines] of [...this.#committed]) {
      const path = join(this.#dir, file);
      try {
        await appendFile(path, `${lines.join('\n')}\n`, 'utf8');
        if (this.#fsync) {
          const handle = await open(path, 'r');
          await handle.sync().finally(() => handle.close());
        }
      } catch (error) {
        throw new BucardoError('APPLY_FAILED', `Cannot append to ${path} for database "${this.#db}" (its lines are kept for the next run): ${(error as Error).message}`, { db: this.#db, cause: error });
      }
      this.#committed.delete(file);
    }
  }
}

function push(pending: Pending, file: string, lines: readonly string[]): void {
  let list = pending.get(file);
  if (!list) pending.set(file, (list = []));
  list.push(...lines);
}

function keyRecord(shape: TableShape, key: string): Record<string, string> {
  const parts = decodeKey(key, shape.key.length);
  return Object.fromEntries(shape.key.map((column, index) => [column.name, parts[index] ?? '']));
}

function rowRecord(shape: TableShape, row: readonly TextValue[]): Record<string, TextValue> {
  return Object.fromEntries(shape.columns.map((column, index) => [column.name, row[index] ?? null]));
}
