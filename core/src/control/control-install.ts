import pg from 'pg';
import { connectControl, type ControlTarget } from './control-connection.js';
import { CONTROL_SCHEMA_VERSION, controlSchemaSql } from './control-schema.js';
import { missingSchemaParts } from './schema-check.js';
import { checkInstallPrivileges, explainCreateDatabaseDenied } from './install-privileges.js';

export interface InstallResult {
  readonly databaseCreated: boolean;
  /** False when the schema was already there (of this version or an older one). */
  readonly schemaCreated: boolean;
  /** What an older schema lacked and now has (`bucardo.table`, `bucardo.table.column`); empty when it was up to date or created. */
  readonly added: readonly string[];
  readonly version: number;
}

/**
 * Creates the control database (when missing, from the server's `postgres` database) and the `bucardo`
 * schema in it. Safe to run again: an installed schema is brought up to date and its data kept.
 */
export async function installControl(target: ControlTarget): Promise<InstallResult> {
  const databaseCreated = await createDatabaseIfMissing(target);
  const client = await connectControl(target, target.dbname, 'bucardo install');
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('bucardo install'))");
    await checkInstallPrivileges(client, target.dbname);
    const hasSchema = await client.query<{ found: boolean }>("SELECT to_regclass('bucardo.bucardo_config') IS NOT NULL AS found");
    const existing = hasSchema.rows[0]?.found
      ? await client.query<{ setting: string }>("SELECT setting FROM bucardo.bucardo_config WHERE name = 'schema_version'")
      : undefined;
    const installed = existing?.rows[0]?.setting;
    const added = installed == null ? [] : await missingSchemaParts(client);
    // Every statement is IF NOT EXISTS, so running them again brings an older schema up to date.
    await client.query(controlSchemaSql);
    await client.query(
      `INSERT INTO bucardo.bucardo_config (name, setting) VALUES ('schema_version', $1), ('log_level', 'normal')
       ON CONFLICT (name) DO UPDATE SET setting = CASE WHEN bucardo_config.name = 'schema_version' THEN EXCLUDED.setting ELSE bucardo_config.setting END`,
      [String(CONTROL_SCHEMA_VERSION)],
    );
    await client.query('COMMIT');
    return { databaseCreated, schemaCreated: installed == null, added, version: CONTROL_SCHEMA_VERSION };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

async function createDatabaseIfMissing(target: ControlTarget): Promise<boolean> {
  const admin = await connectControl(target, 'postgres', 'bucardo install');
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.dbname]);
    if (found.rowCount) return false;
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(target.dbname)}`);
    return true;
  } catch (error) {
    // Another installer may have created it between the check and the CREATE.
    if ((error as { code?: string }).code === '42P04') return false;
    throw await explainCreateDatabaseDenied(error, admin, target.dbname);
  } finally {
    await admin.end();
  }
}
