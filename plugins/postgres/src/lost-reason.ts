import type pg from 'pg';
import { connectionLost, NODE_POSTGRES_LOST } from '@bucardo/plugin-sdk';

/** What node-postgres says of a query on a client whose connection broke earlier: not why it broke. */
const NOT_QUERYABLE = /is not queryable$/;
/**
 * Keeps why a connection broke, for the statements that find it broken later, and marks every failure
 * that says the connection is gone as `connectionLost` for the core. A kept connection that dies while
 * idle (its backend ended by `pg_terminate_backend`, its server restarted) reports it through an 'error'
 * event no statement waits for; the next statement then fails with `Client has encountered a connection
 * error and is not queryable`, which says nothing of the cause. Those failures get the cause's words and
 * SQLSTATE instead: `terminating connection due to administrator command (the connection was lost before
 * this statement)`, 57P01.
 */
export function keepLostReason(client: pg.Client): void {
  let lost: Error | undefined;
  client.on('error', (error) => { lost ??= error; });
  const explain = (error: unknown): unknown => {
    if (!(error instanceof Error) || !NODE_POSTGRES_LOST.test(error.message)) return error;
    if (lost === undefined || !NOT_QUERYABLE.test(error.message)) return connectionLost(error);
    const code = (lost as { code?: unknown }).code;
    return connectionLost(Object.assign(new Error(`${lost.message} (the connection was lost before this statement)`), code === undefined ? {} : { code }));
  };
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    // a submittable (a COPY stream) hears of the failure through its handleError, a promise through its rejection
    const submittable = args[0] as { submit?: unknown; handleError?: (error: unknown, ...rest: unknown[]) => void } | undefined;
    if (typeof submittable?.submit === 'function' && typeof submittable.handleError === 'function') {
      const handle = submittable.handleError.bind(submittable);
      submittable.handleError = (error: unknown, ...rest: unknown[]) => handle(explain(error), ...rest);
    }
    const result = query(...args);
    return result instanceof Promise ? result.catch((error: unknown) => { throw explain(error); }) : result;
  };
}
