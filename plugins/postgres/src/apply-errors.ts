import { BucardoError, formatTable, isBucardoError, retryable, toBucardoError, type TableShape } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';
import { quoteIdent } from './connect.js';
import { UNIQUE_VIOLATION } from './in-place-apply.js';
import { FOREIGN_KEY_VIOLATION } from './postponed-writes.js';

/**
 * A write's failure said with what to do, where the server's words name the constraint and the key but not
 * why the row collides nor the way out. `shape` is the table written, when known (not at commit).
 */
export function explainApplyError(error: unknown, db: string, role: string | undefined, shape?: TableShape, guarded = false, inPlace = false): unknown {
  if (isBucardoError(error)) return error;
  const code = (error as { code?: string }).code;
  if (code === INSUFFICIENT_PRIVILEGE) return notAllowed(error, db, role, shape, inPlace);
  if (code === FOREIGN_KEY_VIOLATION && /^insert or update/.test((error as Error).message)) return missingParent(error, db);
  if (code === UNIQUE_VIOLATION) return valueTaken(error, db, shape, guarded);
  return error;
}

const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * The role may not write the table (or reach its schema). The server's words name the table or the schema,
 * not the role, the database, nor what the sync needs: all three of SELECT (a DELETE by key reads the key),
 * INSERT (COPY) and DELETE, and USAGE on the schema. The transaction rolls back everywhere, its
 * changes stay captured, and the next run after the GRANT carries them.
 */
function notAllowed(error: unknown, db: string, role: string | undefined, shape: TableShape | undefined, inPlace: boolean): BucardoError {
  const wrapped = toBucardoError(error, 'APPLY_FAILED', { db, ...(role === undefined ? {} : { item: role }) });
  const who = role === undefined ? 'the role it connects as' : quoteIdent(role);
  const schema = /permission denied for schema (.+)$/.exec((error as Error).message)?.[1];
  // as write-privileges.ts asks for them: UPDATE where the rows were written in place
  const privileges = ['SELECT', 'INSERT', 'DELETE', ...(inPlace ? ['UPDATE'] : [])];
  const table = shape === undefined ? wrapped.table : formatTable(shape.table);
  const grant = schema !== undefined
    ? `GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${who}`
    : `GRANT ${privileges.join(', ')} ON ${shape === undefined ? (table ?? 'the table') : qualified(shape.table)} TO ${who}`;
  const what = table === undefined ? '' : ` table "${table}" on`;
  return new BucardoError('APPLY_FAILED', `${wrapped.message}: the sync writes${what} database "${db}" as role ${who}, which needs ${privileges.slice(0, -1).join(', ')} and ${privileges.at(-1)} on ${inPlace ? 'this table there and USAGE on its schema' : 'each of the sync\'s tables there and USAGE on their schemas'} (${grant}); the changes not written wait, captured, for the next run`, {
    ...wrapped.subject, ...(table === undefined ? {} : { table }), cause: error,
  });
}

/**
 * A row pointing at a row this database does not have. Once the run orders its writes by the foreign keys,
 * what is left is a conflict between tables, or a table outside the sync.
 */
function missingParent(error: unknown, db: string): BucardoError {
  // the server's words, DETAIL, table and SQLSTATE as any error of a run carries them, and what to do
  const wrapped = toBucardoError(error, 'APPLY_FAILED', { db });
  return new BucardoError('APPLY_FAILED', `${wrapped.message}: the row it points at is not on database "${db}". Where another source deleted or changed that row in this run, this is a conflict between tables that no strategy settles: fix the row on a source (delete it, or point it at a row that exists) and the next run goes through. Where the table it points at is not in the sync, give that table the row on "${db}"`, {
    ...wrapped.subject, cause: error,
  });
}

/**
 * A unique value another row holds. On the table's own key, after the run deleted that key: another
 * session inserted it meanwhile (an application writing to a receiving source), and the transaction is
 * marked to be tried again, which leaves that row alone as any local change after the capture where the
 * batch is `guarded` (a receiving source); a plain target gets the run's row. (A violation of a deferred
 * key at commit has no shape, and is said as another column's would be.) On another
 * unique column: two sources gave one value to different rows, or a transaction moved it from row to row
 * and the run wrote the new holder before the old one let it go, in a transaction or partition of its own.
 * Only the server's English DETAIL (`Key (email)=(x) already exists.`) names the columns; in another
 * language the error stands as it is.
 */
function valueTaken(error: unknown, db: string, shape: TableShape | undefined, guarded: boolean): unknown {
  const detail = (error as { detail?: unknown }).detail;
  const columns = typeof detail === 'string' ? /^Key \((.+?)\)=\(/.exec(detail)?.[1] : undefined;
  if (columns === undefined) return error;
  const wrapped = toBucardoError(error, 'APPLY_FAILED', { db });
  // as a set: a composite key's index may list its columns in another order on this database
  const named = new Set(columns.split(', ').map((name) => name.replace(/^"(.*)"$/, '$1').replace(/""/g, '"')));
  if (shape && named.size === shape.key.length && shape.key.every((column) => named.has(column.name))) {
    // the core retries a run's transaction; a table copy (initial copy, fullcopy) fails and its next run does
    const retry = guarded ? 'a race that a second attempt settles: it leaves that row alone, as a change made there after the capture' : 'a race that a second attempt settles: it writes the run\'s row';
    return retryable(new BucardoError('APPLY_FAILED', `${wrapped.message}: the run deleted this key on database "${db}" before writing it, and another session inserted it meanwhile (${retry}); a collision that repeats is not a race: the key's values may be equal on "${db}" and not on the source (a case-insensitive type or collation there)`, {
      ...wrapped.subject, cause: error,
    }));
  }
  return new BucardoError('APPLY_FAILED', `${wrapped.message}: another row on database "${db}" holds this value. Where two sources gave it to different rows, this is a conflict between rows that no strategy settles: change the value on one source and the next run goes through. Where one transaction moved it from row to row and this run was cut into transactions (batchSize, 100,000 keys by default) or key partitions (partitionSize), the row that held it is written later: raise them above the keys that transaction changed`, {
    ...wrapped.subject, cause: error,
  });
}
