import { isBucardoError, type BucardoError } from '@bucardo/plugin-sdk';
import { databaseError, lostConnection } from '../run/database-error.js';

/**
 * A failure of an autokick probe's session on one source, named after that database. It is told apart
 * from a failure of the control database's queries, which the worker's check makes too: the driver's own
 * words (`Client has encountered a connection error and is not queryable`) named no database at all.
 */
export class ProbeFailure extends Error {
  readonly error: BucardoError;

  constructor(error: BucardoError) {
    super(error.message, { cause: error });
    this.error = error;
  }

  /**
   * Whether the source could not be reached or its connection was lost (a backend ended, a server
   * restarted): a run, which opens its own connections, says better than the probe whether the database
   * is back, and delivers what the probe could not see.
   */
  get unreachable(): boolean {
    return this.error.code === 'CONNECTION_FAILED' || lostConnection(this.error.cause);
  }
}

/** Runs `work` on the probe's session of database `db`, turning its failure into a ProbeFailure naming `db`. */
export async function probeOn<T>(db: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new ProbeFailure(isBucardoError(error) ? error : databaseError(error, 'CAPTURE_FAILED', { db }));
  }
}
