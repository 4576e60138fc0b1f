import type { SyncStatusReport } from '@bucardo/core';
import { formatWhen, prettyDuration, type DurationStyle } from './time-format.js';
import { syncState } from './sync-state.js';
import type { StatusSort } from './status-sort.js';

const titles = [' Name', ' State', ' Last good', ' Time', ' Last I/D/C', ' Last bad', ' Time'] as const;

export interface StatusTableOptions extends DurationStyle {
  readonly now?: Date;
  /** The order of the rows (`--sort`); as given (by name) when absent. */
  readonly sort?: StatusSort;
}

/**
 * `bucardo status` as Bucardo prints it: a header, a `=`/`+` rule, then one `|`-separated row per sync,
 * each column as wide as its widest value or title plus two. Last I/D/C is inserts/deletes/conflicts
 * of the last good run (Bucardo's header said I/D but printed deletes first; this prints what it says).
 */
export function formatStatusTable(reports: readonly SyncStatusReport[], options: StatusTableOptions = {}): string {
  const now = options.now ?? new Date();
  const ordered = options.sort ? [...reports].sort(options.sort.compare) : reports;
  const rows = ordered.map((report) => {
    const good = report.runs.lastGood;
    const bad = report.runs.lastBad;
    if (!report.runs.last) return [report.sync.name, tableState(report), '', '', '', '', ''];
    return [
      report.sync.name,
      tableState(report),
      good?.ended ? formatWhen(good.ended, now) : 'none',
      good?.ended ? prettyDuration(now.getTime() - good.ended.getTime(), options) : '',
      good ? `${good.inserts}/${good.deletes}/${good.conflicts}` : '',
      bad?.ended ? formatWhen(bad.ended, now) : 'none',
      bad?.ended ? prettyDuration(now.getTime() - bad.ended.getTime(), options) : '',
    ];
  });
  const widths = titles.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)) + 2);
  const lines = [
    titles.map((title, column) => title.padEnd(widths[column]!)).join(' '),
    widths.map((width) => '='.repeat(width)).join('+'),
    ...rows.map((row) => row.map((cell, column) => ` ${cell} `.padEnd(widths[column]!)).join('|')),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The State column: the last run's, and a sync that does not run (paused, deactivated) says so after it,
 * `Good (paused)`, where it read as running well while kicks were refused (a walk-through's find).
 */
function tableState(report: SyncStatusReport): string {
  const status = report.sync.status;
  return status === 'paused' || status === 'inactive' ? `${syncState(report)} (${status})` : syncState(report);
}
