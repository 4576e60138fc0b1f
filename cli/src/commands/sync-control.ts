import { BucardoError } from '@bucardo/plugin-sdk';
import type { SyncAction } from '@bucardo/core';
import type { CliSession } from '../cli-session.js';
import { matchSyncs } from './sync-names.js';

function syncControl(action: SyncAction): (session: CliSession) => Promise<number> {
  return async (session) => {
    const words = session.words.filter((word) => !/^syncs?$/i.test(word) && !/^\d+$/.test(word));
    if (words.length === 0) throw new BucardoError('INVALID_ARGUMENT', `Usage: bucardo ${action} SYNC…|all`);
    const bucardo = await session.bucardo();
    const names = matchSyncs(words, (await bucardo.listSyncs()).map((sync) => sync.name));
    for (const name of names) await bucardo.changeSyncStatus(name, action);
    if (action === 'pause') session.print(`Syncs paused: ${names.join(',')}`);
    else if (action === 'resume') session.print(`Syncs resumed: ${names.join(',')}`);
    else for (const name of names) session.print(`${action === 'activate' ? 'Activating' : 'Deactivating'} sync ${name} ...OK`);
    return 0;
  };
}

export const pause = syncControl('pause');
export const resume = syncControl('resume');
export const activate = syncControl('activate');
export const deactivate = syncControl('deactivate');
