import type pg from 'pg';

type Queryable = Pick<pg.Client, 'query'>;

/** The per-table stores whose rows are removed by number (`bucardo remove customname|customcols ID…`), and their columns besides id and relation. */
const TABLES = {
  customname: ['newschema', 'newname', 'db', 'sync'],
  customcols: ['clause', 'db', 'sync'],
} as const;

/** A removed row as stored, with its table's schema and name (`schemaname`, `tablename`) from its relation. */
export type RemovedRow = { readonly id: number; readonly schemaname: string; readonly tablename: string } & Record<string, unknown>;

/**
 * Deletes rows `ids` of `bucardo.<table>`, all or none, in one statement: none when one of them is not
 * there (the first such, in the order given, is `unknown`), else all, returned as they were. The rows are
 * locked before they are looked for, so one removed meanwhile by another command counts as not there,
 * and what is said to be removed is what this statement deleted: two removes of the same id cannot both
 * say they removed it.
 */
export async function removeByIds(db: Queryable, table: keyof typeof TABLES, ids: readonly number[]): Promise<{ removed: RemovedRow[]; unknown?: number }> {
  // names from the constant above, never from input
  const columns = TABLES[table];
  const result = await db.query<{ unknown: number | null; removed: RemovedRow[] | string }>(
    `WITH asked AS (SELECT id, ord FROM unnest($1::int[]) WITH ORDINALITY AS a(id, ord)),
          locked AS (SELECT c.id FROM bucardo.${table} c WHERE c.id IN (SELECT id FROM asked) FOR UPDATE),
          unknown AS (SELECT a.id FROM asked a WHERE a.id NOT IN (SELECT id FROM locked) ORDER BY a.ord LIMIT 1),
          removed AS (DELETE FROM bucardo.${table} c WHERE c.id IN (SELECT id FROM locked) AND NOT EXISTS (SELECT 1 FROM unknown)
                      RETURNING c.id, c.relation, ${columns.map((column) => `c.${column}`).join(', ')})
     SELECT (SELECT id FROM unknown) AS unknown,
            (SELECT coalesce(json_agg(json_build_object('id', d.id, 'schemaname', r.schemaname, 'tablename', r.tablename,
                                                        ${columns.map((column) => `'${column}', d.${column}`).join(', ')}) ORDER BY d.id), '[]')
               FROM removed d JOIN bucardo.relation r ON r.id = d.relation) AS removed`,
    [ids],
  );
  const row = result.rows[0]!;
  if (row.unknown !== null) return { removed: [], unknown: row.unknown };
  return { removed: typeof row.removed === 'string' ? JSON.parse(row.removed) as RemovedRow[] : row.removed };
}
