import type pg from 'pg';
import type { KeyText, TableShape } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';
import { keyCondition } from './key-sql.js';
import { leafForeignKeys, selfAndAncestors } from './leaf-foreign-keys.js';
import { unnestRows } from './unnest.js';

/**
 * The first of `among` (a regclass[] literal: the tables with put-off writes) whose rows on this database
 * still point at one of `keys` of `shape`, through any of its foreign keys (a key declared on a partitioned
 * table binds its leaves: `leafForeignKeys`), or undefined. Asked before a held delete while writes are put off
 * (`PostponedWrites`): a row whose move away from a deleted parent was put off would still point at it,
 * and the delete would take it with it (`ON DELETE CASCADE`) before the put-off write could move it.
 */
export async function stillPointedAtBy(client: pg.Client, shape: TableShape, keys: readonly KeyText[], hide: boolean, among: string): Promise<string | undefined> {
  if (keys.length === 0) return undefined;
  const { rows } = await client.query<{ child: string; joined: string }>(
    // each column pair by the foreign key's own equality (PK = FK, conpfeqop), named with its schema: a
    // bare `=` is looked up on the search path (key-sql.ts, keyOperator)
    `SELECT pg_catalog.format('%I.%I', n.nspname, r.relname) AS child,
       (SELECT pg_catalog.string_agg(pg_catalog.format('bucardo_row.%I OPERATOR(%I.%s) bucardo_child.%I', pa.attname, opn.nspname, o.oprname, ca.attname), ' AND ' ORDER BY k.n)
          FROM ${unnestRows(['c.conkey', 'c.confkey', 'c.conpfeqop'])} WITH ORDINALITY AS k(ck, pk, op, n)
          JOIN pg_catalog.pg_attribute ca ON ca.attrelid = c.conrelid AND ca.attnum = k.ck
          JOIN pg_catalog.pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = k.pk
          JOIN pg_catalog.pg_operator o ON o.oid = k.op
          JOIN pg_catalog.pg_namespace opn ON opn.oid = o.oprnamespace) AS joined
     FROM ${leafForeignKeys(`f.confrelid IN ${selfAndAncestors('$1::regclass::oid')}`)} AS l
     JOIN pg_catalog.pg_constraint c ON c.oid = l.conid
     JOIN pg_catalog.pg_class r ON r.oid = l.conrelid
     JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
    WHERE l.confrelid = $1::regclass::oid AND l.conrelid <> l.confrelid AND l.conrelid = ANY($2::regclass[]::oid[])`,
    [qualified(shape.table), among]);
  const { sql, params } = keyCondition(shape, keys, hide, 1, 'bucardo_row.');
  for (const { child, joined } of rows) {
    const found = await client.query<{ found: unknown }>(
      `SELECT EXISTS (SELECT 1 FROM ${child} AS bucardo_child JOIN ONLY ${qualified(shape.table)} AS bucardo_row ON ${joined} WHERE ${sql}) AS found`, params);
    if (String(found.rows[0]?.found).startsWith('t')) return child;
  }
  return undefined;
}
