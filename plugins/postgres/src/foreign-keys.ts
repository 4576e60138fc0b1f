import type pg from 'pg';
import { formatTable, type ForeignKey, type ForeignKeyOnDelete, type TableRef } from '@bucardo/plugin-sdk';
import { NAMED_TABLES, namedTablesParams } from './introspect.js';
import { leafForeignKeys, selfAndAncestors } from './leaf-foreign-keys.js';

/** `pg_constraint.confdeltype` as the SDK says it: `NO ACTION` and `RESTRICT` both refuse the delete. */
const onDelete: Readonly<Record<string, ForeignKeyOnDelete>> = { a: 'restrict', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

/**
 * Every foreign key held by one of these tables or pointing at one of them, in one statement, as it binds
 * leaves (`leaf-foreign-keys.ts`): one entry per table holding it and table it points at, under the name it
 * was declared with, a key declared on a partitioned table once for each of its partitions.
 */
export async function foreignKeys(client: pg.Client, tables: readonly TableRef[]): Promise<ForeignKey[]> {
  if (tables.length === 0) return [];
  const result = await client.query<{ name: string; schema: string; table: string; rschema: string; rtable: string; deltype: string }>(
    `WITH asked AS (SELECT c.oid FROM ${NAMED_TABLES} AND c.relkind IN ('r', 'p')),
          near AS (SELECT s FROM asked CROSS JOIN LATERAL ${selfAndAncestors('asked.oid')} AS n(s))
     SELECT DISTINCT f.name, kn.nspname AS schema, kc.relname AS table, rn.nspname AS rschema, rc.relname AS rtable, f.confdeltype AS deltype
       FROM ${leafForeignKeys('f.conrelid IN (SELECT s FROM near) OR f.confrelid IN (SELECT s FROM near)')} AS f
       JOIN pg_class kc ON kc.oid = f.conrelid
       JOIN pg_namespace kn ON kn.oid = kc.relnamespace
       JOIN pg_class rc ON rc.oid = f.confrelid
       JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE f.conrelid IN (SELECT oid FROM asked) OR f.confrelid IN (SELECT oid FROM asked)`,
    namedTablesParams(tables),
  );
  return result.rows
    .map((row) => ({
      name: row.name,
      table: { schema: row.schema, name: row.table },
      references: { schema: row.rschema, name: row.rtable },
      onDelete: onDelete[row.deltype] ?? 'restrict',
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || formatTable(a.table).localeCompare(formatTable(b.table)) || formatTable(a.references).localeCompare(formatTable(b.references)));
}
