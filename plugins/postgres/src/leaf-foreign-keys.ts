/**
 * The foreign keys that bind some tables, as they bind the tables this project lists: plain tables and
 * the partitions that hold rows (leaves). A key declared on a partitioned table binds each of its leaves,
 * and one pointing at a partitioned table points at each of its leaves; PostgreSQL's copies of a declared
 * key (one on each partition, one towards each partition of the table it points at, the latter under
 * names like `fk_1`) are left out, so each key is said once per pair of leaves, by the name it was
 * declared with. The one reader of foreign keys, so that all follow one rule: `foreignKeys` (inspect,
 * validate), the shapes' `references` (write order), the tables written in place and the order of their
 * held deletes (`ReferencedTables`), the rows still pointing at a held delete (`stillPointedAtBy`) and the
 * UPDATE privilege a referenced table needs (`missingWritePrivileges`).
 *
 * A `FROM` item with columns `name`, `conid` (the declared key's `pg_constraint` oid: its columns, `conkey`
 * and `confkey`, are named alike in every leaf), `conrelid` (a leaf holding the key), `confrelid` (a leaf
 * it points at) and `confdeltype`, of the keys `near` (an SQL condition on `f`, a `pg_constraint` row)
 * selects: `near` should name the tables asked about and their ancestors (`selfAndAncestors`), since a key
 * declared on an ancestor binds them.
 */
export function leafForeignKeys(near: string): string {
  return `(SELECT f.conname AS name, f.oid AS conid, k.relid AS conrelid, r.relid AS confrelid, f.confdeltype
       FROM pg_catalog.pg_constraint f
       CROSS JOIN LATERAL ${leavesOf('f.conrelid')} AS k(relid)
       CROSS JOIN LATERAL ${leavesOf('f.confrelid')} AS r(relid)
      WHERE f.contype = 'f' AND f.conparentid = 0 AND (${near}))`;
}

/**
 * The leaves of a table: itself, when it is not partitioned (no partition tree lists it then). As `oid`:
 * `pg_partition_tree` gives `regclass`, which a UNION keeps, and pg_catalog has no `=` of `regclass` with
 * `oid` or with `regclass`, so every comparison of it would be looked up on the search path, where a
 * `public.=(oid, regclass)` matches exactly.
 */
function leavesOf(table: string): string {
  return `(SELECT t.relid::oid FROM pg_catalog.pg_partition_tree(${table}) AS t WHERE t.isleaf
           UNION SELECT ${table} WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_partition_tree(${table})))`;
}

/** The oids of relation `table` and of the partitioned tables it is a partition of, at every level. */
export function selfAndAncestors(table: string): string {
  return `(SELECT ${table} UNION SELECT a.relid::oid FROM pg_catalog.pg_partition_ancestors(${table}) AS a)`;
}

/** An SQL condition: a foreign key points at `table` (an oid expression, a leaf or a plain table). */
export function pointedAt(table: string): string {
  return `EXISTS (SELECT FROM ${leafForeignKeys(`f.confrelid IN ${selfAndAncestors(table)}`)} AS p WHERE p.confrelid = ${table})`;
}
