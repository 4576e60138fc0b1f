import type { Checkpoint, TableShape } from '@bucardo/plugin-sdk';
import { additiveColumn, captureNames, qualified } from './capture-names.js';
import { interval } from './capture-read.js';
import { quoteIdent, quoteLiteral } from './connect.js';
import { keyColumnList, keysMatch } from './key-sql.js';

/**
 * The rows with keys `where` (a condition on the bare key columns), each additive column as of capture
 * checkpoint `asOf`: its value less what the changes committed after `asOf` added (their change records'
 * deltas). Rows and records are read by one statement, so in one snapshot: a change is either in both the
 * value and the records taken out, or in neither. Without later changes, the value is returned untouched.
 */
export function selectAdditiveAsOf(shape: TableShape, where: string, asOf: Checkpoint): string {
  const additive = new Set(shape.additive ?? []);
  const keys = keyColumnList(shape);
  const later = `SELECT ${keys}, ${[...additive].map((column) => `pg_catalog.sum(${additiveColumn(column)}) AS ${quoteIdent(column)}`).join(', ')}
    FROM ${captureNames(shape.table).delta} WHERE ${interval(quoteLiteral(asOf))} AND ${where} GROUP BY ${keys}`;
  const columns = shape.columns.map(({ name }) => {
    const column = quoteIdent(name);
    // NULL counts as 0, as the trigger counts it (a value set to NULL later comes back as it was), with a
    // zero of the sum's own type (a literal 0 would not match every numeric type); untouched without later changes
    const later = `bucardo_later.${column}`;
    return additive.has(name)
      ? `CASE WHEN bucardo_later.bucardo_found THEN coalesce(bucardo_row.${column}, ${later} OPERATOR(pg_catalog.-) ${later}) OPERATOR(pg_catalog.-) ${later} ELSE bucardo_row.${column} END`
      : `bucardo_row.${column}`;
  });
  const join = keysMatch(shape, 'bucardo_row', 'bucardo_later');
  return `SELECT ${columns.join(', ')} FROM (SELECT * FROM ONLY ${qualified(shape.table)} WHERE ${where}) AS bucardo_row
    LEFT JOIN (SELECT *, true AS bucardo_found FROM (${later}) AS bucardo_sums) AS bucardo_later ON ${join}`;
}
