import type { CliSession } from '../cli-session.js';

/**
 * `bucardo start|stop`: there is no daemon yet, so syncs run when kicked (`bucardo kick SYNC 0`), each
 * in the process that kicks it. Kept so that Bucardo's ten steps work as written.
 */
export async function start(session: CliSession): Promise<number> {
  session.print('Checking for existing processes');
  session.print('Starting Bucardo: this version has no background daemon yet; run syncs with "bucardo kick SYNC 0".');
  return 0;
}

export async function stop(session: CliSession): Promise<number> {
  session.print('Bucardo has no background daemon running: nothing to stop.');
  return 0;
}
