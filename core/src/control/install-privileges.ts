import pg from 'pg';
import { BucardoError } from '@bucardo/plugin-sdk';

const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * `bucardo install` without the right to create the missing control database: the server says only
 * `permission denied to create database`, naming neither the role nor the database nor the way out.
 */
export async function explainCreateDatabaseDenied(error: unknown, admin: pg.Client, dbname: string): Promise<unknown> {
  if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) return error;
  const role = await currentRole(admin);
  const who = pg.escapeIdentifier(role);
  return new BucardoError('CONTROL_NOT_INSTALLED',
    `Cannot create the control database "${dbname}": role ${who} may not create databases. Have a superuser create it for the role (CREATE DATABASE ${pg.escapeIdentifier(dbname)} OWNER ${who}) and run bucardo install again, or give the role CREATEDB (ALTER ROLE ${who} CREATEDB)`,
    { item: role, sqlstate: INSUFFICIENT_PRIVILEGE, cause: error });
}

/**
 * What installing the control schema needs, checked before anything is made: CREATE on the database (or
 * its ownership) while there is no `bucardo` schema, and, once there is, being its owner (or a member of
 * the owning role), since every table in it is the owner's. Otherwise the server's `permission denied for
 * database ctl` names neither the role nor what to grant.
 */
export async function checkInstallPrivileges(client: pg.Client, dbname: string): Promise<void> {
  const { rows: [standing] } = await client.query<{ role: string; owner: string | null; owner_is_superuser: boolean | null; owns: boolean; may_create: boolean }>(
    `SELECT current_user AS role, n.nspowner::regrole::text AS owner,
            (SELECT rolsuper FROM pg_catalog.pg_roles WHERE oid = n.nspowner) AS owner_is_superuser,
            n.nspowner IS NOT NULL AND pg_catalog.pg_has_role(n.nspowner, 'USAGE') AS owns,
            pg_catalog.has_database_privilege(current_database(), 'CREATE') AS may_create
       FROM (SELECT 1) AS one LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = 'bucardo'`);
  const who = pg.escapeIdentifier(standing!.role);
  if (standing!.owner === null && !standing!.may_create) {
    throw new BucardoError('CONTROL_NOT_INSTALLED',
      `Role ${who} cannot install the control schema "bucardo" in database "${dbname}": it needs CREATE on the database (GRANT CREATE ON DATABASE ${pg.escapeIdentifier(dbname)} TO ${who}, or ALTER DATABASE ${pg.escapeIdentifier(dbname)} OWNER TO ${who}); nothing was installed`,
      { item: standing!.role, sqlstate: INSUFFICIENT_PRIVILEGE });
  }
  if (standing!.owner !== null && !standing!.owns) {
    // membership in a superuser's role would hand over everything it owns: not offered then
    const grant = standing!.owner_is_superuser ? '' : `, or GRANT ${standing!.owner} TO ${who}`;
    throw new BucardoError('CONTROL_NOT_INSTALLED',
      `Role ${who} cannot install the control schema in database "${dbname}": its schema "bucardo" belongs to role ${standing!.owner}; run bucardo install (and every command) as that role (-U, PGUSER)${grant}; nothing was changed`,
      { item: standing!.role, sqlstate: INSUFFICIENT_PRIVILEGE });
  }
}

async function currentRole(client: pg.Client): Promise<string> {
  try {
    return (await client.query<{ role: string }>('SELECT current_user AS role')).rows[0]!.role;
  } catch {
    return client.user ?? 'the role';
  }
}
