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
  session.print(result.schemaCreated
    ? 'Installation is now complete.'
    : `Bucardo is already installed in database "${target.dbname}": its schema is up to date (version ${result.version}).`);
  return 0;
}
