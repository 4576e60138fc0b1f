import net from 'node:net';
import type pg from 'pg';

/**
 * Cancels the statement a connection is running, with PostgreSQL's CancelRequest (a separate short
 * connection carrying the backend's pid and secret key; no login needed). A statement waiting on a lock
 * stops at once; the transaction is then aborted and rolled back by its owner.
 */
export function cancelRunning(client: pg.Client): Promise<void> {
  const { processID, secretKey, host, port } = client as unknown as { processID: number | null; secretKey: number | null; host: string; port: number };
  if (processID === null || secretKey === null) return Promise.resolve();
  return new Promise((resolve) => {
    const socket = host.startsWith('/') ? net.connect(`${host}/.s.PGSQL.${port}`) : net.connect(port, host);
    const request = Buffer.alloc(16);
    request.writeInt32BE(16, 0);
    request.writeInt32BE(80877102, 4);
    request.writeInt32BE(processID, 8);
    request.writeInt32BE(secretKey, 12);
    socket.on('connect', () => socket.end(request));
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
    socket.setTimeout(5000, () => socket.destroy());
  });
}

/** Runs `work`, cancelling the connection's running statement if `signal` aborts meanwhile. */
export async function cancellable<T>(client: pg.Client, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  if (!signal) return work();
  signal.throwIfAborted();
  const onAbort = () => { void cancelRunning(client); };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await work();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
