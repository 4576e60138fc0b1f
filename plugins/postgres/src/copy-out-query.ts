import type pg from 'pg';
import { cancelRunning } from './cancel.js';
import { CopyOutParser, type CopyRows } from './copy-out-parser.js';

export type { CopyRows } from './copy-out-parser.js';

/** What pg's Connection is, as far as a query that reads the socket itself needs it. */
interface RawConnection {
  readonly stream: NodeJS.ReadableStream & { destroy(error?: Error): void };
  query(text: string): void;
}

type DataHandler = (chunk: Buffer) => void;

/** How long a stopped copy may take to end after its cancel reached the server, before its connection is closed. */
const STOP_GRACE_MS = 5_000;

/**
 * Runs `COPY … TO STDOUT` on `client` and yields its rows in batches of at most `batchRows` (see
 * `CopyOutParser`). It reads the connection's socket itself while the copy lasts, as pg-copy-streams
 * does, and hands the socket back to pg at CopyDone or at an error, which pg then reports to this query.
 * The statement is sent when the first batch is asked for. Stopped early (the consumer returns, or
 * `signal` aborts), it cancels the statement and reads the copy to its end, so the connection can go on;
 * inside a transaction, the cancel aborts it, and the caller rolls it back. A copy that has not ended five
 * seconds after its cancel (a lost cancel, a dead network) has its connection closed. An abort rejects
 * the pending `next()` with an `aborted` error.
 */
export async function* copyOutBatches(client: pg.Client, sql: string, batchRows: number, signal?: AbortSignal): AsyncGenerator<CopyRows> {
  if (signal?.aborted) throw new Error('aborted');
  const query = new CopyOutQuery(sql, batchRows, client);
  void client.query(query as unknown as pg.QueryConfig);
  yield* query.batches(signal);
}

/** All the rows of a `COPY … TO STDOUT` in one buffer (bounded by the caller, as a fetch by key is). */
export async function copyOutAll(client: pg.Client, sql: string, signal?: AbortSignal): Promise<CopyRows> {
  let all: CopyRows | undefined;
  for await (const rows of copyOutBatches(client, sql, 0xffffffff, signal)) all = rows;
  return all ?? { data: Buffer.alloc(0), ends: new Uint32Array(0) };
}

class CopyOutQuery {
  readonly text: string;
  /** Set by pg when the client has a `query_timeout`: called once the query is over, which clears pg's timer. */
  callback: ((error: unknown) => void) | undefined;
  readonly #client: pg.Client;
  readonly #parser: CopyOutParser;
  readonly #ready: CopyRows[] = [];
  readonly #onData = (chunk: Buffer) => this.#parse(chunk);
  #stream: RawConnection['stream'] | undefined;
  #pgDataHandler: DataHandler | undefined;
  /** Rows are parsed but thrown away: the consumer stopped, the statement is being cancelled. */
  #discarding = false;
  #attached = false;
  #settled = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  #cancelled: Promise<void> | undefined;

  constructor(text: string, batchRows: number, client: pg.Client) {
    this.text = text;
    this.#client = client;
    this.#parser = new CopyOutParser(batchRows, (rows) => { if (!this.#discarding) this.#ready.push(rows); });
  }

  // pg's Submittable: called when the client sends the query; an error returned is handed to handleError
  submit(connection: RawConnection): Error | undefined {
    // stopped while it waited in the client's queue: never sent
    if (this.#discarding) return new Error('aborted');
    const stream = connection.stream;
    const handlers = stream.listeners('data') as DataHandler[];
    if (handlers.length !== 1) return new Error(`COPY reader: expected one data listener on the connection, found ${handlers.length}`);
    this.#stream = stream;
    this.#pgDataHandler = handlers[0];
    stream.removeListener('data', this.#pgDataHandler!);
    stream.on('data', this.#onData);
    this.#attached = true;
    connection.query(this.text);
    return undefined;
  }

  handleError(error: unknown): void {
    this.#detach(Buffer.alloc(0));
    this.#settle(error);
  }

  handleReadyForQuery(): void {
    this.#settle(undefined);
  }

  // CommandComplete follows CopyDone; the rest is what pg may still hand this query once it has the socket
  // back after a `query_timeout` ended it early.
  handleCommandComplete(): void {}
  handleCopyData(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  async *batches(signal?: AbortSignal): AsyncGenerator<CopyRows> {
    let aborted = false;
    const onAbort = () => { aborted = true; this.#stop(); this.#wakeUp(); };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (aborted) throw new Error('aborted');
        const rows = this.#ready.shift();
        if (rows) {
          yield rows;
          continue;
        }
        if (this.#settled) {
          if (this.#error !== undefined) throw this.#error;
          return;
        }
        await this.#until(() => { if (this.#attached) this.#stream!.resume(); });
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!this.#settled) await this.#finishStopped();
      // the cancel request has reached the server, so it cannot land on a later statement
      await this.#cancelled;
    }
  }

  /** Stopped before the end (a consumer that returned, an abort): cancelled, then read to its end, or its connection closed. */
  async #finishStopped(): Promise<void> {
    this.#stop();
    let timer: NodeJS.Timeout | undefined;
    let over = false;
    const late = new Promise<'late'>((resolve) => {
      // unref'd: a process that is done otherwise does not wait for it
      void (this.#cancelled ?? Promise.resolve()).then(() => { if (!over) timer = setTimeout(() => resolve('late'), STOP_GRACE_MS).unref(); });
    });
    const ended = this.#until(() => undefined);
    if (await Promise.race([ended.then(() => 'ended' as const), late]) === 'late') {
      const error = new Error(`COPY did not end within ${STOP_GRACE_MS / 1000} s of its cancel: connection closed`);
      this.#stream?.destroy(error);
      this.#detach(Buffer.alloc(0));
      this.#settle(error);
    }
    over = true;
    clearTimeout(timer);
  }

  /** Resolves at the next wake-up (a batch ready, the query over); `asking` runs once the waiter is set. */
  #until(asking: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#settled && this.#ready.length === 0) return resolve();
      this.#wake = resolve;
      asking();
    });
  }

  /**
   * A chunk off the socket (each as it came: no copy before the parser's). Once a batch is ready and the
   * consumer is not waiting for it, the socket is paused until it asks: the server then waits, and memory
   * holds at most that batch and the one filling, whatever the table's size.
   */
  #parse(chunk: Buffer): void {
    const stop = this.#parser.push(chunk);
    if (stop) this.#detach(chunk.subarray(stop.offset));
    if (this.#ready.length === 0) return;
    if (this.#wake) this.#wakeUp();
    else if (this.#attached && !this.#discarding) this.#stream!.pause();
  }

  /** Hands the socket back to pg with what it has not read; pg parses the rest (CommandComplete, an error, ReadyForQuery). */
  #detach(unread: Buffer): void {
    if (!this.#attached) return;
    this.#attached = false;
    const stream = this.#stream!;
    const pgDataHandler = this.#pgDataHandler!;
    stream.removeListener('data', this.#onData);
    stream.on('data', pgDataHandler);
    if (unread.length > 0) pgDataHandler(unread);
    // pg's handler may pause the stream on its own back-pressure: resume once it has returned, unless a
    // later query has taken the socket over meanwhile
    process.nextTick(() => { if (stream.listeners('data').includes(pgDataHandler)) stream.resume(); });
  }

  /** Cancels the statement (if sent) and throws away what is still to come, so the copy ends and frees the connection. */
  #stop(): void {
    if (this.#settled || this.#discarding) return;
    this.#discarding = true;
    this.#ready.length = 0;
    if (!this.#attached) return;
    this.#cancelled = cancelRunning(this.#client);
    this.#stream!.resume();
  }

  #settle(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    // a cancel we asked for, or a stop before the statement was sent, is how a stopped copy ends, not an error
    const asked = this.#discarding && ((error as { code?: string } | undefined)?.code === '57014' || (error as Error | undefined)?.message === 'aborted');
    if (error !== undefined && !asked) this.#error = error;
    this.callback?.(error ?? null);
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
