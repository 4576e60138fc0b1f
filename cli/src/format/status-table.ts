import type { SyncStatusReport } from '@bucardo/core';
import { formatWhen, prettyDuration } from './time-format.js';
import { syncState } from './sync-state.js';

const titles = [' Name', ' State', ' Last good', ' Time', ' Last I/D/C', ' Last bad', ' Time'] as const;

/**
 * `bucardo status` as Bucardo prints it: a header, a `=`/`+` rule, then one `|`-separated row per sync,
 * each column as wide as its widest value or title plus two. Last I/D/C is inserts/deletes/conflicts
 * of the last good run (Bucardo's header said I/D but printed deletes first; this prints what it says).
 */
export function formatStatusTable(reports: readonly SyncStatusReport[], now = new Date()): string {
  const rows = reports.map((report) => {
    const good = report.runs.lastGood;
    const bad = report.runs.lastBad;
    if (!report.runs.last) return [report.sync.name, syncState(report), '', '', '', '', ''];
    return [
      report.sync.name,
      syncState(report),
      good?.ended ? formatWhen(good.ended, now) : 'none',
      good?.ended ? prettyDuration(now.getTime() - good.ended.getTime(), true) : '',
      good ? `${good.inserts}/${good.deletes}/${good.conflicts}` : '',
      bad?.ended ? formatWhen(bad.ended, now) : 'none',
      bad?.ended ? prettyDuration(now.getTime() - bad.ended.getTime(), true) : '',
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
