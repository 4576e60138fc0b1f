import type pg from 'pg';
import type { Logger } from '@bucardo/plugin-sdk';

/** Notices logged per connection and minute; a trigger that raises one per row would flood the log. */
const PER_MINUTE = 20;
const MINUTE_MS = 60_000;
/**
 * What the plugin's own statements make the server say, which tells the user nothing: `IF NOT EXISTS` DDL
 * (42P07, 42710, 42P06), a ROLLBACK after a failure that had already ended the transaction (25P01), by
 * SQLSTATE, whatever the server's language; and `IF EXISTS` DDL, whose notice has no SQLSTATE of its own.
 */
const HOUSEKEEPING_CODES = new Set(['42P07', '42710', '42P06', '25P01']);
const HOUSEKEEPING_TEXT = / skipping$/;

/**
 * Logs what the server says besides results (`RAISE WARNING` or `NOTICE` in a user's trigger on a table a
 * run writes, a server warning), naming the database: without a listener node-postgres drops them, and a
 * user's audit trigger would warn unheard. A warning (SQLSTATE class 01) is logged at `warn`, the rest
 * (`NOTICE`, `INFO`) at `verbose`; past 20 a minute they are counted, and the count logged with the next minute's first
 * one or when the connection ends.
 */
export function logServerNotices(client: pg.Client, db: string, log: Logger): void {
  let windowStart = 0;
  let logged = 0;
  let dropped = 0;
  const countDropped = () => {
    if (dropped > 0) log.log('warn', `${dropped} more messages from database "${db}" were not logged (more than ${PER_MINUTE} a minute)`, { db });
    dropped = 0;
  };
  // a one-shot run closes its connections well within the minute: the count is logged then
  client.on('end', countDropped);
  client.on('notice', (notice) => {
    const message = notice.message ?? '';
    if (HOUSEKEEPING_CODES.has(notice.code ?? '') || HOUSEKEEPING_TEXT.test(message)) return;
    const now = Date.now();
    if (now - windowStart >= MINUTE_MS) {
      countDropped();
      windowStart = now;
      logged = 0;
    }
    if (logged >= PER_MINUTE) {
      dropped++;
      return;
    }
    logged++;
    // the severity's word is in the server's language (lc_messages); a warning's SQLSTATE class, 01, is not
    const severity = notice.severity ?? 'NOTICE';
    const level = notice.code?.startsWith('01') ? 'warn' : 'verbose';
    const where = notice.where ? ` (${notice.where.split('\n')[0]})` : '';
    log.log(level, `Database "${db}" says ${severity}: ${message}${where}`, { db });
  });
}
