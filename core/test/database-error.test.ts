/**
 * A failure on one database of a run names it: a lost connection in the message as well as the fields,
 * a database's answer to a statement in the fields only (its text is the server's). The transaction
 * retry still sees the SQLSTATE through the wrapping, and does not retry a connection that is gone.
 */
import { describe, expect, it } from 'vitest';
import { BucardoError, connectionLost, silentLogger } from '@bucardo/plugin-sdk';
import { databaseError, lostConnection } from '../src/run/database-error.js';
import { finalFailure, withRetries } from '../src/run/retries.js';
import { RunCounts } from '../src/run/run-counts.js';

const pgError = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('databaseError', () => {
  it.each([
    ['the socket went away (marked by its plugin)', undefined, true],
    ['terminating connection due to administrator command', '57P01', false],
    ['read ECONNRESET', 'ECONNRESET', false],
    ['server closed the connection', '08006', false],
  ])('a lost connection (%s) is named in the message', (message, code, marked) => {
    const lost = () => (marked ? connectionLost(pgError(message, code)) : pgError(message, code));
    const error = databaseError(lost(), 'APPLY_FAILED', { db: 't7', table: 'public.t', sync: 's3' });
    expect(lostConnection(lost())).toBe(true);
    expect(error).toMatchObject({ code: 'APPLY_FAILED', db: 't7', table: 'public.t', sync: 's3', message: `Lost the connection to database "t7" (table "public.t"): ${message}` });
  });

  it("a driver's words are not a mark: only the plugin knows what they mean", () => {
    for (const message of ['Connection terminated unexpectedly', 'Client has encountered a connection error and is not queryable', 'x (the connection was lost before this statement)']) {
      expect(lostConnection(pgError(message))).toBe(false);
      expect(databaseError(pgError(message), 'APPLY_FAILED', { db: 't7' }).message).toBe(message);
    }
  });

  it('without a table, the message names the database alone', () => {
    expect(databaseError(connectionLost(pgError('Connection terminated unexpectedly')), 'APPLY_FAILED', { db: 't7' }).message).toBe('Lost the connection to database "t7": Connection terminated unexpectedly');
  });

  it("a statement's failure keeps the server's text and gains the names", () => {
    const error = databaseError(pgError('new row for relation "t" violates check constraint "c"', '23514'), 'APPLY_FAILED', { db: 'b', table: 'public.t' });
    expect(error).toMatchObject({ code: 'APPLY_FAILED', db: 'b', table: 'public.t', sqlstate: '23514', message: 'new row for relation "t" violates check constraint "c"' });
  });

  it("a plugin's BucardoError keeps its code and text", () => {
    const own = new BucardoError('CONNECTION_FAILED', 'Cannot connect to database "t7" (host=h port=55433): Connection terminated unexpectedly', { db: 't7' });
    expect(databaseError(own, 'APPLY_FAILED', { db: 't7', sync: 's3' })).toMatchObject({ code: 'CONNECTION_FAILED', message: own.message, sync: 's3' });
  });
});

describe('the transaction retry, through the wrapping', () => {
  const signal = new AbortController().signal;

  it('retries a serialization failure', async () => {
    const counts = new RunCounts();
    let tries = 0;
    const result = await withRetries(counts, silentLogger, signal, async () => {
      if (++tries === 1) throw databaseError(pgError('could not serialize access', '40001'), 'APPLY_FAILED', { db: 'b' });
      return 'done';
    });
    expect({ result, tries, retries: counts.retries }).toEqual({ result: 'done', tries: 2, retries: 1 });
  });

  it('does not retry a failure marked final (a COMMIT that failed after other databases committed), whatever its SQLSTATE', async () => {
    let tries = 0;
    const failing = withRetries(new RunCounts(), silentLogger, signal, async () => {
      tries++;
      throw finalFailure(databaseError(pgError('could not serialize access', '40001'), 'APPLY_FAILED', { db: 'c' }));
    });
    await expect(failing).rejects.toMatchObject({ code: 'APPLY_FAILED', db: 'c', sqlstate: '40001' });
    expect(tries).toBe(1);
  });

  it('does not retry a lost connection: the run fails, and the next one connects again', async () => {
    let tries = 0;
    const failing = withRetries(new RunCounts(), silentLogger, signal, async () => {
      tries++;
      throw databaseError(pgError('terminating connection due to administrator command', '57P01'), 'APPLY_FAILED', { db: 't7' });
    });
    await expect(failing).rejects.toMatchObject({ code: 'APPLY_FAILED', db: 't7', sqlstate: '57P01' });
    expect(tries).toBe(1);
  });
});
