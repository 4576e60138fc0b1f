import type pg from 'pg';
import { tableId, type TableShape } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';
import type { KeyColumn } from './key-sql.js';
import { unnestRows } from './unnest.js';

/**
 * Below this many keys a batch takes the constant array: the planner's estimates for them cost little
 * (200 keys: about 0.4M instructions), and a constant array is hashed where a lookup is a sequential scan.
 * (The catalog question below is asked for every table a session writes or fetches, for its operators,
 * once per connection: a daemon's kept connections ask it once.)
 */
const HIDE_FROM_KEYS = 200;

/**
 * What this database's catalog says of a table's key, asked once per table and connection, in one
 * statement: whether a lookup of many keys can hide its array (`indexed`), and the schema of each key
 * column's equality (`operatorSchema`, for `keyOperator`).
 *
 * Indexed: whether the table here has a valid, non-partial btree index led by its (single) key column:
 * then a lookup of many keys is an index scan and the key array can be hidden from the planner
 * (key-sql.ts). Without one the lookup is a sequential scan, which is only fast when the planner sees the
 * array as a constant and hashes it. Only the first source's key index is guaranteed: the other databases
 * may lack it.
 *
 * Operators: from this database, never from the shape, which is the first source's: citext may be in
 * schema `ext` there and in `public` here, and `OPERATOR(ext.=)` would fail here (or name whatever someone
 * made in an `ext` of this database). Per key column, the equality of the operator class of a btree index
 * on it here (the comparison an index scan needs), else of its type's default btree operator class (a
 * domain's base type's, `anyenum`'s for an enum, text's for a varchar): the operator a bare `=` found
 * before anyone else's could be on the search path.
 */
export class KeyIndexes {
  readonly #client: pg.Client;
  readonly #known = new Map<string, { indexed: boolean; schemas: Array<string | null> }>();

  constructor(client: pg.Client) {
    this.#client = client;
  }

  /** Whether a lookup of `count` keys of this table should hide its key array from the planner (key-sql.ts). */
  async hideKeys(shape: TableShape, count: number): Promise<boolean> {
    return count >= HIDE_FROM_KEYS && await this.indexed(shape);
  }

  async indexed(shape: TableShape): Promise<boolean> {
    return shape.key.length === 1 && (await this.#ask(shape)).indexed;
  }

  /** The shape with its key columns' operators as this database names them (`KeyColumn.operatorSchema`), for the SQL run here. */
  async local(shape: TableShape): Promise<TableShape> {
    if (shape.key.length === 0) return shape;
    const { schemas } = await this.#ask(shape);
    return { ...shape, key: shape.key.map((column, index): KeyColumn => {
      const { operatorSchema: _theirs, ...rest } = column as KeyColumn;
      const schema = schemas[index];
      return schema === null || schema === undefined ? rest : { ...rest, operatorSchema: schema };
    }) };
  }

  async #ask(shape: TableShape): Promise<{ indexed: boolean; schemas: Array<string | null> }> {
    // by table and key columns: a key is the same for a table in a run, but a caller may ask of another
    const id = `${tableId(shape.table)}\u0000${shape.key.map((column) => column.name).join('\u0000')}`;
    const known = this.#known.get(id);
    if (known !== undefined) return known;
    const result = await this.#client.query<{ indexed: boolean | string; schemas: unknown }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_catalog.pg_index i
           JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
           JOIN pg_catalog.pg_am am ON am.oid = c.relam AND am.amname = 'btree'
           JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
          WHERE i.indrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1) AND i.indisvalid AND i.indpred IS NULL AND a.attname = ($2::text[])[1]) AS indexed,
         (SELECT pg_catalog.json_agg((${OPERATOR_SCHEMA}) ORDER BY k.n)
            FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS k(name, n)
            LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1) AND a.attname = k.name AND NOT a.attisdropped
            LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_catalog.pg_type bt ON bt.oid = (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END)) AS schemas`,
      [qualified(shape.table), shape.key.map((column) => column.name)],
    );
    const row = result.rows[0];
    const schemas = row?.schemas === null || row?.schemas === undefined ? [] : (typeof row.schemas === 'string' ? JSON.parse(row.schemas) : row.schemas) as Array<string | null>;
    const answer = { indexed: row?.indexed === true || row?.indexed === 't', schemas };
    this.#known.set(id, answer);
    return answer;
  }
}

/**
 * The schema of the equality of a key column `a` (type `bt`, a domain's base type) of table `$1`: that of a
 * btree index on it there first, else its type's default btree operator class's. Every comparison here is
 * of same-typed values, so none is looked up on the search path.
 */
const OPERATOR_SCHEMA = `SELECT opn.nspname::text
       FROM pg_catalog.pg_opclass oc
       JOIN pg_catalog.pg_am oam ON oam.oid = oc.opcmethod AND oam.amname = 'btree'
       JOIN pg_catalog.pg_amop ao ON ao.amopfamily = oc.opcfamily AND ao.amopstrategy = 3 AND ao.amoplefttype = oc.opcintype AND ao.amoprighttype = oc.opcintype
       JOIN pg_catalog.pg_operator o ON o.oid = ao.amopopr
       JOIN pg_catalog.pg_namespace opn ON opn.oid = o.oprnamespace
       LEFT JOIN LATERAL (SELECT true AS found FROM pg_catalog.pg_index xi
              CROSS JOIN LATERAL ${unnestRows(['xi.indkey::int2[]', 'xi.indclass::oid[]'])} AS xk(attnum, opclass)
             WHERE xi.indrelid = a.attrelid AND xi.indisvalid AND xk.attnum = a.attnum AND xk.opclass = oc.oid LIMIT 1) AS indexed ON true
      WHERE indexed.found OR (oc.opcdefault AND (oc.opcintype = bt.oid
              OR EXISTS (SELECT FROM pg_catalog.pg_cast pc WHERE pc.castsource = bt.oid AND pc.casttarget = oc.opcintype AND pc.castmethod = 'b')
              OR (oc.opcintype = 'pg_catalog.anyenum'::pg_catalog.regtype::pg_catalog.oid AND bt.typtype = 'e')
              OR (oc.opcintype = 'pg_catalog.anyarray'::pg_catalog.regtype::pg_catalog.oid AND bt.typcategory = 'A')))
      ORDER BY indexed.found IS TRUE DESC, oc.opcintype = bt.oid DESC
      LIMIT 1`;
