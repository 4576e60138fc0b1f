import { BucardoError, displayKey, isBucardoError, serverMessage, toBucardoError, type RowBatch } from '@bucardo/plugin-sdk';

/** The server's CONTEXT of a failed COPY: `COPY t, line 3, column v: "…"` (the column when one value failed). */
const COPY_CONTEXT = /^COPY .*?, line (\d+)(?:, column (.+?): )?/;

/**
 * A row's own value refused by the COPY that writes a batch (too long for its column, out of range, NULL
 * where NOT NULL, a CHECK): said with the column, the row's key and the source it came from, which the
 * server's words leave out (`value too long for type character varying(5)`), found from the line the
 * server names in the rows the COPY was given. Other failures are left as they are: a collision or a
 * missing parent have their own explanations.
 */
export function locateCopyError(error: unknown, rows: readonly RowBatch[], db: string): unknown {
  if (isBucardoError(error)) return error;
  const { code, where, column } = error as { code?: unknown; where?: unknown; column?: unknown };
  if (typeof code !== 'string' || typeof where !== 'string' || !(code.startsWith('22') || code === '23502' || code === '23514')) return error;
  const found = COPY_CONTEXT.exec(where);
  if (!found) return error;
  let line = Number(found[1]);
  const named = found[2] ?? (typeof column === 'string' ? column : undefined);
  for (const batch of rows) {
    if (line > batch.rowCount) {
      line -= batch.rowCount;
      continue;
    }
    let index = 0;
    for (const row of batch.rows()) {
      if (++index < line) continue;
      const key = batch.shape.key.length > 0 ? batch.keyOf(row) : undefined;
      const wrapped = toBucardoError(error, 'APPLY_FAILED', { db });
      const which = key === undefined ? 'a row' : `the row with key ${displayKey(key)}`;
      const where = `${named === undefined ? which : `column "${named}" of ${which}`} from database "${batch.origin}"`;
      return new BucardoError('APPLY_FAILED', `${serverMessage(error)} (${where})`, {
        ...wrapped.subject, ...(named === undefined ? {} : { column: named }), ...(key === undefined ? {} : { key }), cause: error,
      });
    }
  }
  return error;
}
