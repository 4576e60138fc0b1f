import { isBucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';

/** `bucardo install`: creates the control database (if missing) and its `bucardo` schema. Safe to repeat. */
export async function install(session: CliSession): Promise<number> {
  const bucardo = await session.bucardo();
  const target = bucardo.controlTarget;
  const where = [
    `database "${target.dbname}"`,
    `host ${target.host ?? process.env.PGHOST ?? 'localhost'}`,
    `port ${target.port ?? process.env.PGPORT ?? 5432}`,
    `user ${target.user ?? process.env.PGUSER ?? process.env.USER ?? 'postgres'}`,
  ].join(', ');
  session.print(`Installing Bucardo in ${where}`);
  const result = await bucardo.install();
  if (result.databaseCreated) session.print(`Created database "${target.dbname}"`);
  if (result.schemaCreated) session.print('Installation is now complete.');
  else if (result.added.length > 0) session.print(upgradedText(target.dbname, result.added));
  else session.print(`Bucardo is already installed in database "${target.dbname}": its schema is up to date (version ${result.version}).`);
  return 0;
}

/**
 * `bucardo upgrade`, as in Bucardo: brings an installed control schema up to date, keeping its data; a
 * control database without one is refused (a mistyped `-d` would otherwise create a new, empty one).
 */
export async function upgrade(session: CliSession): Promise<number> {
  const bucardo = await session.bucardo({ plugins: 'standard' });
  try {
    await bucardo.checkSchema();
    session.print('No schema changes were needed');
    return 0;
  } catch (error) {
    // an older schema names what it lacks (item); no schema at all names nothing
    if (!isBucardoError(error) || error.code !== 'CONTROL_NOT_INSTALLED' || error.item === undefined) throw error;
  }
  const result = await bucardo.install();
  session.print(upgradedText(bucardo.controlTarget.dbname, result.added));
  return 0;
}

function upgradedText(dbname: string, added: readonly string[]): string {
  return `Brought the Bucardo schema in database "${dbname}" up to date, its data kept: added ${added.join(', ')}`;
}
