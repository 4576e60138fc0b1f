import type pg from 'pg';
import { cancelRunning } from './cancel.js';
import { CopyOutParser, type CopyRows } from './copy-out-parser.js';

export type { CopyRows } from './copy-out-parser.js';

/** What pg's Connection is, as far as a query that reads the socket itself needs it. */
interface RawConnection {
  readonly stream: NodeJS.ReadableStream;
  query(text: string): void;
}

type DataHandler = (chunk: Buffer) => void;

/**
 * Runs `COPY … TO STDOUT` on `client` and yields its rows in batches of at most `batchRows` (see
 * `CopyOutParser`). It reads the connection's socket itself while the copy lasts, as pg-copy-streams
 * does, and hands the socket back to pg at CopyDone or at an error, which pg then reports to this query.
 * Stopped early (the
 * consumer returns, or `signal` aborts), it cancels the statement and reads the copy to its end, so the
 * connection is usable afterwards; an abort rejects the pending `next()` with an `aborted` error.
 */
export function copyOutBatches(client: pg.Client, sql: string, batchRows: number, signal?: AbortSignal): AsyncIterableIterator<CopyRows> {
  const query = new CopyOutQuery(sql, batchRows, client);
  void client.query(query as unknown as pg.QueryConfig);
  return query.batches(signal);
}

/** All the rows of a `COPY … TO STDOUT` in one buffer (bounded by the caller, as a fetch by key is). */
export async function copyOutAll(client: pg.Client, sql: string, signal?: AbortSignal): Promise<CopyRows> {
  let all: CopyRows | undefined;
  for await (const rows of copyOutBatches(client, sql, 0xffffffff, signal)) all = rows;
  return all ?? { data: Buffer.alloc(0), ends: new Uint32Array(0) };
}

class CopyOutQuery {
  readonly text: string;
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
  #cancelled: Promise<void> = Promise.resolve();

  constructor(text: string, batchRows: number, client: pg.Client) {
    this.text = text;
    this.#client = client;
    this.#parser = new CopyOutParser(batchRows, (rows) => { if (!this.#discarding) this.#ready.push(rows); });
  }

  // pg's Submittable: called when the client sends the query; an error returned is handed to handleError
  submit(connection: RawConnection): Error | undefined {
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

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    this.#settle(undefined);
  }

  async *batches(signal?: AbortSignal): AsyncGenerator<CopyRows> {
    let aborted = false;
    const onAbort = () => { aborted = true; this.#stop(); this.#wakeUp(); };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) onAbort();
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
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          if (this.#attached) this.#stream!.resume();
        });
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // stopped before the end (a consumer that returned, an abort): the statement is cancelled and read to
      // its end, and the cancel request has reached the server, so it cannot land on a later statement
      if (!this.#settled) {
        this.#stop();
        await new Promise<void>((resolve) => {
          if (this.#settled) resolve();
          else this.#wake = resolve;
        });
      }
      await this.#cancelled;
    }
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
    stream.removeListener('data', this.#onData);
    stream.on('data', this.#pgDataHandler!);
    if (unread.length > 0) this.#pgDataHandler!(unread);
    // pg's handler may pause the stream on its own back-pressure: resume once it has returned
    process.nextTick(() => stream.resume());
  }

  /** Cancels the statement and throws away what is still to come, so the copy ends and frees the connection. */
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
    // a cancel we asked for is how a stopped copy ends, not an error
    if (error !== undefined && !(this.#discarding && (error as { code?: string }).code === '57014')) this.#error = error;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
