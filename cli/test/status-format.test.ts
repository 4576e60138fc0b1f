import { describe, expect, it } from 'vitest';
import type { SyncStatusReport } from '@bucardo/core';
import { formatStatusTable } from '../src/format/status-table.js';
import { formatStatusDetail } from '../src/format/status-detail.js';
import { prettyDuration } from '../src/format/time-format.js';

const now = new Date(2026, 10, 26, 12, 0, 10);
type Run = NonNullable<SyncStatusReport['runs']['last']>;
const run = (fields: Partial<Run> = {}): Run => ({
  id: '1', sync: 'foobar', worker: 'cli', started: new Date(2026, 10, 26, 12, 0, 0), ended: new Date(2026, 10, 26, 12, 0, 2),
  outcome: 'good', status: 'Complete', inserts: 3926, deletes: 15704, conflicts: 75, deferred: 0, retries: 0, error: null, details: null, resume: null, progressed: null, quietFor: null, ...fields,
});
const tables = [{ schema: 'public', name: 'a' }, { schema: 'public', name: 'b' }];
const report = (runs: SyncStatusReport['runs'], state: string, sync: Partial<SyncStatusReport['sync']> = {}): SyncStatusReport => ({
  sync: { name: 'foobar', herd: 'therd', dbgroup: 'tgroup', status: 'active', autokick: false, checktime: null, onetimecopy: 0, conflictStrategy: 'latest', ...sync },
  herd: { name: 'therd', members: tables, tables, sequences: [], syncs: ['foobar'] },
  dbgroup: { name: 'tgroup', members: [{ db: 't1', role: 'source' }, { db: 't5', role: 'target' }], syncs: ['foobar'] },
  runs, state, conflicts: { total: 0, skipped: 0 }, stalled: false,
});

describe('status table', () => {
  it('prints Bucardo\'s columns with inserts/deletes/conflicts of the last good run', () => {
    const good = run();
    expect(formatStatusTable([report({ lastGood: good, last: good }, 'Good')], { now })).toBe([
      ' Name     State    Last good    Time    Last I/D/C      Last bad    Time  ',
      '========+========+============+=======+===============+===========+=======',
      ' foobar | Good   | 12:00:02   | 8s    | 3926/15704/75 | none      |       ',
      '',
    ].join('\n'));
  });

  it('leaves every cell empty for a sync that never ran', () => {
    expect(formatStatusTable([report({}, 'No records found')], { now }).split('\n')[2]).toMatch(/^ foobar \| No records found \|\s+\|\s+\|\s+\|\s+\|\s+$/);
  });
});

describe('status detail', () => {
  it('prints the labelled block', () => {
    const good = run();
    const bad = run({ id: '2', outcome: 'bad', error: { code: 'CONNECTION_FAILED', message: 'Cannot connect to database "t3"' } });
    const text = formatStatusDetail(report({ lastGood: good, lastBad: bad, last: bad }, 'Bad'));
    expect(text).toContain('Rows inserted/deleted/conflicts : 3,926 / 15,704 / 75\n');
    expect(text).toContain('Sync name                       : foobar\n');
    expect(text).toContain('Source relgroup/database        : therd / t1\n');
    expect(text).toContain('Tables in sync                  : 2\n');
    expect(text).toContain('Autokick                        : No\n');
    expect(text).toMatch(/Last error\s+: Cannot connect to database "t3" \[CONNECTION_FAILED\]/);
    expect(text).not.toContain('Next run resumes');
    expect(text).not.toContain('Refresh above');
  });

  it('says where the next run goes on from after a bad run that committed, in which key partition, with which batch size', () => {
    const bad = (resume: Run['resume']) => run({ id: '7', outcome: 'bad', status: 'Failed', resume });
    const outlook = (last: Run, fields: Partial<NonNullable<SyncStatusReport['resume']>> = {}): SyncStatusReport =>
      ({ ...report({ lastBad: last, last }, 'Bad'), ...(last.resume ? { resume: { run: last.id, point: last.resume, ...fields } } : {}) });
    const point = (fields: Partial<NonNullable<Run['resume']>>) => ({ fingerprint: '{}', committed: 0, ...fields });
    const line = (status: SyncStatusReport, label = 'Next run resumes') => new RegExp(`^${label}\\s+: (.*)$`, 'm').exec(formatStatusDetail(status))?.[1];
    expect(line(outlook(bad(point({ committed: 2 }))))).toBe('run 7, after 2 committed transactions');
    expect(line(outlook(bad(point({ committed: 2 })), { batchSize: 5000 }))).toBe('run 7, after 2 committed transactions, if its batchSize is still 5000');
    expect(line(outlook(bad(point({ committed: 1, partitions: 1, partition: 0 }))))).toBe('run 7, after 1 committed transaction');
    expect(line(outlook(bad(point({ committed: 0, partitions: 5, partition: 2 }))))).toBe('run 7, in key partition 3 of 5, from its start');
    expect(line(outlook(bad(point({ committed: 3, partitions: 5, partition: 2 }))))).toBe('run 7, in key partition 3 of 5, after 3 committed transactions');
    // the point names the run that committed, which may be an earlier one than the last
    expect(line({ ...outlook(bad(point({ committed: 2 }))), resume: { run: '5', point: point({ committed: 2 }) } })).toBe('run 5, after 2 committed transactions');
    // nothing to resume, or a later run that was good
    expect(line(outlook(bad(null)))).toBeUndefined();
    expect(/Next run/.test(formatStatusDetail(report({ lastBad: bad(point({ committed: 2 })), last: run({ id: '8' }) }, 'Good')))).toBe(false);
  });

  it('says the next run starts afresh when the sync changed since the point was made', () => {
    const last = run({ id: '7', outcome: 'bad', status: 'Failed', resume: { fingerprint: '{}', committed: 2 } });
    const mismatch = "the sync's tables changed (then public.a; now public.a, public.b)";
    const text = formatStatusDetail({ ...report({ lastBad: last, last }, 'Bad'), resume: { run: '7', point: last.resume!, batchSize: 100, mismatch } });
    expect(text).toMatch(/^Next run starts afresh\s+: not from run 7: the sync's tables changed \(then public\.a; now public\.a, public\.b\)$/m);
    expect(text).not.toContain('Next run resumes');
    // a killed run with such a point says the same in its own line
    const killed = run({ id: '9', ended: null, outcome: null, status: 'Applying batch 3 of 5', resume: last.resume });
    const interrupted = formatStatusDetail({ ...report({ interrupted: killed, last: killed }, 'Interrupted'), resume: { run: '9', point: last.resume!, mismatch } });
    expect(interrupted).toMatch(/^Interrupted run\s+: .+ \(cli, ended during Applying batch 3 of 5; the next run starts afresh: the sync's tables changed \(then public\.a; now public\.a, public\.b\)\)$/m);
    expect(formatStatusDetail({ ...report({ interrupted: killed, last: killed }, 'Interrupted'), resume: { run: '9', point: last.resume! } })).toMatch(/; the next run resumes it\)$/m);
  });

  it('does not call a gone daemon running, nor its last stalled state the sync\'s', () => {
    const owner = { id: '19499@vm', host: 'vm', pid: 19499, started: now, heartbeat: today(12, 0, 3), silentFor: 7, leaseMs: 1000 };
    const worker = { sync: 'foobar', daemon: '19499@vm', since: now, state: 'stalled', failures: 2, retryAt: null, owner, lockHeld: false };
    const killed = run({ id: '9', ended: null, outcome: null, status: 'Applying public.a' });
    const detail = (responding: boolean, fields: Partial<typeof worker> = {}) =>
      // as core reports it: stalled on the word of a daemon that responds only
      statusDetail(formatStatusDetail({ ...report({ interrupted: killed, last: killed }, 'Interrupted'), worker: { ...worker, ...fields, responding }, stalled: responding }));
    expect(detail(false).get('Run by')).toBe('daemon 19499@vm (not responding since 12:00:03)');
    expect(detail(false).get('Status')).toBe('Active');
    expect(detail(false, { owner: undefined }).get('Run by')).toBe('daemon 19499@vm (not running)');
    expect(detail(true).get('Run by')).toBe('daemon 19499@vm (stalled, 2 failed attempts)');
    expect(detail(true).get('Status')).toBe('Stalled');
  });

  it('says for how long a run in progress has not moved on, once it is 10 s', () => {
    const state = 'Applying public.a to t5 (0 of 1 keys done)';
    const current = (quietFor: number | null) => statusDetail(formatStatusDetail(report({ current: run({ ended: null, outcome: null, status: state, quietFor }) }, state))).get('Current state');
    expect(current(null)).toBe(state);
    expect(current(9.5)).toBe(state);
    expect(current(24.2)).toBe('Applying public.a to t5 (0 of 1 keys done; no progress for 25s)');
    expect(statusDetail(formatStatusDetail(report({ current: run({ ended: null, outcome: null, status: 'Connecting', quietFor: 70 }) }, 'Connecting'))).get('Current state'))
      .toBe('Connecting (no progress for 1m 10s)');
  });

  it('shows a sync\'s own refreshabove, and Never for 0', () => {
    expect(formatStatusDetail(report({}, 'Good', { refreshAbove: 0.5 }))).toMatch(/^Refresh above\s+: 0\.5$/m);
    expect(formatStatusDetail(report({}, 'Good', { refreshAbove: 0 }))).toMatch(/^Refresh above\s+: Never$/m);
  });
});

/** A time of today: the detail block prints only the clock for those. */
function today(hours: number, minutes: number, seconds: number): Date {
  const date = new Date();
  date.setHours(hours, minutes, seconds, 0);
  return date;
}

/** `label : value` lines of a detail block. */
function statusDetail(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((line) => line.includes(' : ')).map((line) => {
    const at = line.indexOf(' : ');
    return [line.slice(0, at).trim(), line.slice(at + 3).trim()] as [string, string];
  }));
}

describe('prettyDuration', () => {
  it('follows Bucardo\'s pretty_time', () => {
    expect(prettyDuration(59_000)).toBe('59s');
    expect(prettyDuration(61_000)).toBe('1m 1s');
    expect(prettyDuration(3_601_000)).toBe('1h 1s');
    expect(prettyDuration(3_723_000, { compress: true })).toBe('1h2m3s');
    expect(prettyDuration(183_845_000)).toBe('51h 4m 5s');
    expect(prettyDuration(183_845_000, { showDays: true })).toBe('2d 3h 4m 5s');
    expect(prettyDuration(86_400_000, { showDays: true })).toBe('24h 0s');
  });
});
