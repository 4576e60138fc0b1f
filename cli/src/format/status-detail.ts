import type { SyncStatusReport } from '@bucardo/core';
import { formatLong, formatWhen, groupDigits, prettyDuration } from './time-format.js';
import { syncState } from './sync-state.js';

const RULE = '='.repeat(70);

/** `bucardo status SYNC`: Bucardo's detail block, one `label : value` line each, between 70-character rules. */
export function formatStatusDetail(report: SyncStatusReport): string {
  const { sync, runs } = report;
  const items: Array<[string, string]> = [];
  const good = runs.lastGood;
  if (good?.ended) {
    items.push(['Last good', `${formatLong(good.started)} (time to run: ${prettyDuration(good.ended.getTime() - good.started.getTime())})`]);
    items.push(['Rows inserted/deleted/conflicts', `${groupDigits(good.inserts)} / ${groupDigits(good.deletes)} / ${groupDigits(good.conflicts)}`]);
  }
  const bad = runs.lastBad;
  if (bad?.ended) items.push(['Last bad', `${formatLong(bad.started)} (${badEnd(bad, bad.ended)})`]);
  if (runs.current) items.push(['Running since', `${formatLong(runs.current.started)} (${runs.current.worker})`]);
  const resume = report.resume;
  if (runs.interrupted) {
    const next = resume?.mismatch ? `the next run starts afresh: ${resume.mismatch}` : 'the next run resumes it';
    items.push(['Interrupted run', `${formatLong(runs.interrupted.started)} (${runs.interrupted.worker}, ended during ${runs.interrupted.status}; ${next})`]);
  }
  // a run that failed or was stopped after committing: the next one goes on from there, if the sync is as it was
  if (!runs.interrupted && resume) {
    if (resume.mismatch) items.push(['Next run starts afresh', `not from run ${resume.run}: ${resume.mismatch}`]);
    else items.push(['Next run resumes', describeResume(resume)]);
  }
  if (report.worker) items.push(['Run by', describeWorker(report.worker)]);
  items.push(
    ['Sync name', sync.name],
    ['Current state', syncState(report)],
    // as Bucardo: the herd and the database the sync reads its tables' shape and initial copies from
    ['Source relgroup/database', `${sync.herd} / ${report.dbgroup.members.find((member) => member.role === 'source')?.db ?? sync.dbgroup}`],
    ['Databases', report.dbgroup.members.map((member) => `${member.db}:${member.role}`).join(' ')],
    ['Tables in sync', String(report.herd.members.length)],
    ['Status', report.stalled ? 'Stalled' : capitalize(sync.status)],
    ['Check time', sync.checktime ?? 'None'],
    // as in Bucardo, a sync whose receivers are all fullcopy has no capture to kick it: only a kick or its checktime runs it
    ['Autokick', !sync.autokick ? 'No' : pureFullcopy(report) ? 'Yes (no effect: a fullcopy sync runs when kicked, or at its check time)' : 'Yes'],
    ['Onetimecopy', !sync.onetimecopy ? 'No' : sync.copyTargets ? `Yes (to ${sync.copyTargets.join(', ')})` : 'Yes'],
    // only when the sync has its own: the config's is not the control database's to show
    ...(sync.refreshAbove === null || sync.refreshAbove === undefined ? [] : [['Refresh above', sync.refreshAbove === 0 ? 'Never' : String(sync.refreshAbove)] as [string, string]]),
    ['Conflict strategy', sync.conflictStrategy],
    ['Conflicts recorded', `${groupDigits(report.conflicts.total)}${report.conflicts.skipped ? ` (${groupDigits(report.conflicts.skipped)} skipped, for manual resolution: bucardo list conflicts ${sync.name})` : ''}`],
    ['Last error', bad?.error ? lastError(bad.error, bad.ended) : ''],
  );
  const width = Math.max(...items.map(([label]) => label.length));
  return [RULE, ...items.map(([label, value]) => `${label.padEnd(width)} : ${value}`.trimEnd()), RULE].join('\n') + '\n';
}

/**
 * The last bad run's error, with the database and table it was on (a database's own message, such as a
 * constraint's, does not say which of the sync's databases refused) and when it ended.
 */
function lastError(error: { readonly message: string; readonly code: string; readonly db?: unknown; readonly table?: unknown }, ended: Date | undefined | null): string {
  const where = [
    ...(typeof error.db === 'string' ? [`database "${error.db}"`] : []),
    ...(typeof error.table === 'string' ? [`table "${error.table}"`] : []),
  ];
  const notes = [...(where.length > 0 ? [where.join(', ')] : []), ...(ended ? [formatLong(ended)] : [])];
  return `${error.message} [${error.code}]${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/**
 * How long a bad run went. One found interrupted (its process killed) ended when it was last heard of, its
 * last progress or its daemon's last heartbeat, which is what its end time holds, and was found later, by
 * the next run: `found` in its error. Runs found before that was recorded have only the time found.
 */
function badEnd(bad: NonNullable<SyncStatusReport['runs']['lastBad']>, ended: Date): string {
  const lasted = prettyDuration(ended.getTime() - bad.started.getTime());
  const found = bad.error?.code === 'RUN_ABORTED' && typeof bad.error.found === 'string' ? new Date(bad.error.found) : undefined;
  if (!found || Number.isNaN(found.getTime())) return `time until fail: ${lasted}`;
  return `interrupted: last heard of ${lasted} after it started; found at ${formatWhen(found)}`;
}

function describeResume({ run, point, batchSize }: NonNullable<SyncStatusReport['resume']>): string {
  const where = (point.partitions ?? 1) > 1 ? `, in key partition ${(point.partition ?? 0) + 1} of ${point.partitions}` : '';
  const after = point.committed > 0 ? `after ${point.committed} committed transaction${point.committed === 1 ? '' : 's'}` : 'from its start';
  // the batch size is the running process's setting, which this one cannot know: a run given another starts afresh
  const condition = batchSize === undefined ? '' : `, if its batchSize is still ${batchSize}`;
  return `run ${run}${where}, ${after}${condition}`;
}

function describeWorker(worker: NonNullable<SyncStatusReport['worker']>): string {
  // its row outlives a killed daemon: what it says (running, stalled, a retry due) is no longer so
  if (!worker.responding) return `daemon ${worker.daemon} (${worker.owner ? `not responding since ${formatWhen(worker.owner.heartbeat)}` : 'not running'})`;
  const retry = worker.retryAt ? `, retry in ${prettyDuration(Math.max(0, worker.retryAt.getTime() - Date.now()))}` : '';
  const failures = worker.failures ? `, ${worker.failures} failed attempt${worker.failures === 1 ? '' : 's'}` : '';
  return `daemon ${worker.daemon} (${worker.state}${failures}${retry})`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One source, and every other database a fullcopy member: nothing is captured. */
function pureFullcopy(report: SyncStatusReport): boolean {
  const members = report.dbgroup.members;
  return members.filter((member) => member.role === 'source').length === 1 && members.every((member) => member.role === 'source' || member.role === 'fullcopy');
}
