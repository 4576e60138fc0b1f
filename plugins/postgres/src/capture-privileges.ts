import type pg from 'pg';
import { BucardoError, formatTable, type TableShape } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, qualified } from './capture-names.js';
import { quoteIdent } from './connect.js';

interface Standing {
  role: string;
  dbname: string;
  /** The owner of the `bucardo` schema, when there is one. */
  schema_owner: string | null;
  /** Whether the role may act as that owner (is it, or inherits its rights): `t` or `f`, as every value comes as text. */
  owns_schema: string;
  may_create: string;
}

interface TableStanding {
  name: string;
  owner: string;
  owner_is_superuser: string;
}

/**
 * What installing capture needs of the role, checked before anything is made, so that a missing
 * privilege is said in full (the database, the role, the table and what to GRANT) where the server would
 * say only `permission denied for database src1` or `must be owner of table t`, naming neither the role
 * nor the way out:
 *
 * - CREATE on the database, to make the `bucardo` schema (or, once it is there, to be its owner: the delta
 *   tables and functions go in it, and `CREATE OR REPLACE` of a function needs its owner);
 * - ownership of each table (or membership in its owner), since creating and dropping a trigger needs it.
 */
export async function checkCapturePrivileges(client: pg.Client, db: string, shapes: readonly TableShape[]): Promise<void> {
  const standing = (await client.query<Standing>(
    `SELECT current_user AS role, pg_catalog.current_database() AS dbname,
            n.nspowner::regrole::text AS schema_owner,
            n.nspowner IS NOT NULL AND pg_catalog.pg_has_role(n.nspowner, 'USAGE') AS owns_schema,
            pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE') AS may_create
       FROM (SELECT 1) AS one LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = $1`, [CAPTURE_SCHEMA])).rows[0]!;
  const role = quoteIdent(standing.role);
  const where = `on database "${db}" (${standing.dbname})`;
  if (standing.schema_owner === null && standing.may_create !== 't') {
    throw denied(`Role ${role} cannot install capture ${where}: it needs CREATE on the database to make the schema "${CAPTURE_SCHEMA}" (GRANT CREATE ON DATABASE ${quoteIdent(standing.dbname)} TO ${role}, or make the role the database's owner); nothing was installed`, db, standing.role);
  }
  if (standing.schema_owner !== null && standing.owns_schema !== 't') {
    throw denied(`Role ${role} cannot install capture ${where}: the schema "${CAPTURE_SCHEMA}" there belongs to role ${standing.schema_owner}, and capture is installed by its owner (connect as ${standing.schema_owner}: bucardo update db ${db} user=…, or GRANT ${standing.schema_owner} TO ${role}); nothing was installed`, db, standing.role);
  }
  const tables = (await client.query<TableStanding>(
    `SELECT s.name, c.relowner::regrole::text AS owner, r.rolsuper AS owner_is_superuser
       FROM pg_catalog.unnest($1::text[]) AS s(name)
       JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(s.name)
       JOIN pg_catalog.pg_roles r ON r.oid = c.relowner
      WHERE NOT pg_catalog.pg_has_role(c.relowner, 'USAGE')`,
    [shapes.map((shape) => qualified(shape.table))])).rows;
  const [first] = tables;
  if (!first) return;
  const shape = shapes.find((candidate) => qualified(candidate.table) === first.name)!;
  const table = formatTable(shape.table);
  // membership in a superuser's role would hand over everything it owns: only the ALTER is offered then
  const ways = first.owner_is_superuser === 't'
    ? `ALTER TABLE ${qualified(shape.table)} OWNER TO ${role}`
    : `ALTER TABLE ${qualified(shape.table)} OWNER TO ${role}, or GRANT ${first.owner} TO ${role}`;
  const others = tables.length > 1 ? ` (and ${tables.length - 1} more of the sync's tables: ${tables.slice(1).map((t) => t.name).join(', ')})` : '';
  throw denied(`Role ${role} cannot install capture on table "${table}" ${where}: its triggers can only be created by the table's owner, role ${first.owner} (${ways})${others}; nothing was installed`, db, standing.role, table);
}

function denied(message: string, db: string, role: string, table?: string): BucardoError {
  return new BucardoError('CAPTURE_FAILED', message, { db, item: role, sqlstate: '42501', ...(table === undefined ? {} : { table }) });
}
