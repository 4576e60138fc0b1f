import { BucardoError, isBucardoError, isConnectionLost, toBucardoError, type ErrorCode, type ErrorSubject } from '@bucardo/plugin-sdk';

/** Connection failures, the server shutting or ending the session, and its idle timeouts (which end it too). */
const LOST_SQLSTATES = /^(08...|57P0[1235]|25P03)$/;
/** What Node says of a socket that broke or never answered. */
const LOST_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTCONN']);

/**
 * A failure on database `db` of a run, as a BucardoError naming it (and the table, when given). The
 * database's own answer to a statement keeps its text, which the subject completes. A connection that
 * broke (the server stopped, the backend was killed, the network went away) is reported by the driver in
 * words that name nothing, often on the next statement, long after the break: the message then says
 * which database was lost, so that the first failed run says what the retries say. Given the database's
 * plugin, a failure of the plugin's own code (no SQLSTATE) names it too.
 */
export function databaseError(error: unknown, code: ErrorCode, subject: ErrorSubject & { readonly db: string }): BucardoError {
  // the plugin is named only where its own code failed: a database's answer is the database's
  const { plugin, ...named } = subject;
  const wrapped = toBucardoError(error, code, named);
  if (isBucardoError(error)) return wrapped;
  // the driver's words stay, after the name: they say how the connection ended
  const where = subject.table === undefined ? '' : ` (table "${subject.table}")`;
  if (lostConnection(error)) return new BucardoError(code, `Lost the connection to database "${subject.db}"${where}: ${wrapped.message}`, { ...wrapped.subject, cause: error });
  // no SQLSTATE: not the database's answer but the plugin's own failure (a third party's target throwing
  // `ENOSPC` or a TypeError), which says nothing of whose code it was
  if (plugin === undefined || wrapped.sqlstate !== undefined) return wrapped;
  const table = subject.table === undefined ? '' : `, table "${subject.table}"`;
  return new BucardoError(code, `Database "${subject.db}" (plugin ${plugin})${table}: ${wrapped.message}`, { ...wrapped.subject, plugin, cause: error });
}

/**
 * Whether `error` says the connection to the database is gone, rather than that a statement failed: a
 * plugin's `connectionLost` mark, a SQLSTATE or a socket code. Never the driver's words, which the core
 * cannot know for every plugin: a plugin marks what only its driver tells apart.
 */
export function lostConnection(error: unknown): boolean {
  if (isConnectionLost(error)) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (LOST_SQLSTATES.test(code) || LOST_SOCKET_CODES.has(code));
}
