import type { CliSession } from '../cli-session.js';
import { formatStatusDetail } from '../format/status-detail.js';
import { formatStatusTable } from '../format/status-table.js';
import { statusSort } from '../format/status-sort.js';
import { matchSyncs } from './sync-names.js';
import { pidDirOf } from '../daemon/paths.js';
import { isAlive, readPid } from '../daemon/pid-file.js';
import { printWarning } from '../print-error.js';

/**
 * `bucardo status [--sort=N] [--show-days] [--compress]`: the table of every sync; `bucardo status
 * SYNC…|all`: a detail block per sync.
 */
export async function status(session: CliSession): Promise<number> {
  const { sort, showDays, compress } = session.command.options;
  // refused before anything is read: a typo in a monitoring script fails at once
  const order = sort === undefined ? undefined : statusSort(sort);
  const { bucardo, pluginFailure } = await session.bucardoDespitePlugins();
  // what the control database says is still worth showing; the broken config is said first
  if (pluginFailure) printWarning(`The plugins of the config do not load, so this status is read without them (the daemon keeps those it loaded; a restart would fail): ${pluginFailure.message} [${pluginFailure.code}]`);
  const words = session.words.filter((word) => word.toLowerCase() !== 'sync' && !/^\d+$/.test(word));
  if (words.length === 0) {
    const pid = readPid(await pidDirOf(session));
    if (pid !== undefined && isAlive(pid)) session.print(`PID of Bucardo MCP: ${pid}`);
    const reports = await bucardo.status();
    session.print(reports.length === 0 ? 'No syncs have been created yet.' : formatStatusTable(reports, { ...(order ? { sort: order } : {}), showDays, compress }));
    return 0;
  }
  const names = matchSyncs(words, (await bucardo.listSyncs()).map((sync) => sync.name));
  const reports = await bucardo.status(names);
  session.print(reports.map(formatStatusDetail).join('\n'));
  return 0;
}
