import type pg from 'pg';
import type { ForeignKey, ForeignKeyOnDelete, TableRef } from '@bucardo/plugin-sdk';
import { NAMED_TABLES, namedTablesParams } from './introspect.js';

/** `pg_constraint.confdeltype` as the SDK says it: `NO ACTION` and `RESTRICT` both refuse the delete. */
const onDelete: Readonly<Record<string, ForeignKeyOnDelete>> = { a: 'restrict', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

/**
 * Every foreign key held by one of these tables or pointing at one of them, in one statement. A
 * partitioned table's key is its own, not its partitions' copies of it (nor the copies PostgreSQL makes
 * for each partition of a partitioned table it points at), unless the table asked about is that partition.
 */
export async function foreignKeys(client: pg.Client, tables: readonly TableRef[]): Promise<ForeignKey[]> {
  if (tables.length === 0) return [];
  const result = await client.query<{ name: string; schema: string; table: string; rschema: string; rtable: string; deltype: string }>(
    `SELECT DISTINCT ON (f.oid) f.conname AS name, kn.nspname AS schema, kc.relname AS table,
            rn.nspname AS rschema, rc.relname AS rtable, f.confdeltype AS deltype
       FROM ${NAMED_TABLES} AND c.relkind IN ('r', 'p')
       JOIN pg_constraint f ON f.contype = 'f' AND c.oid IN (f.conrelid, f.confrelid)
       JOIN pg_class kc ON kc.oid = f.conrelid
       JOIN pg_namespace kn ON kn.oid = kc.relnamespace
       JOIN pg_class rc ON rc.oid = f.confrelid
       JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE (NOT kc.relispartition OR kc.oid = c.oid) AND (NOT rc.relispartition OR rc.oid = c.oid)
      ORDER BY f.oid`,
    namedTablesParams(tables),
  );
  return result.rows
    .map((row) => ({
      name: row.name,
      table: { schema: row.schema, name: row.table },
      references: { schema: row.rschema, name: row.rtable },
      onDelete: onDelete[row.deltype] ?? 'restrict',
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
