import { BucardoError, displayKey, formatTable, tableId, type Checkpoint, type Decisions, type FetchedRows, type KeyText, type RowBatch, type RunArgs, type TableBatch, type TableRef, type TargetSession } from '@bucardo/plugin-sdk';
import { buildApplyPlan } from './apply-plan.js';
import { commitEverywhere } from './commit-everywhere.js';
import { databaseError } from './database-error.js';
import { markFailedBatch, markFailedCommit, type AppliedBatch } from './failed-batch.js';
import { ConflictAudit, type AuditChannel } from './conflict-audit.js';
import { settleAll } from './settle-all.js';
import type { RunCounts } from './run-counts.js';
import type { RunParts } from './run-sync.js';
import type { RunSessions } from './sessions.js';
import { settle, type Settlement } from './settle.js';
import type { SyncPlan } from './sync-plan.js';

/** What every transaction of a run shares. */
export interface TransactionContext {
  readonly parts: RunParts;
  readonly plan: SyncPlan;
  readonly sessions: RunSessions;
  readonly args: RunArgs;
  /** Per source, its newest change to a table in this run (for `latest_table`). */
  readonly newestChange: (table: TableRef) => ReadonlyMap<string, number>;
  /** Per source, this run's capture checkpoint: a receiving source leaves alone keys changed after it. */
  readonly guards: ReadonlyMap<string, Checkpoint>;
  readonly counts: RunCounts;
  readonly status: (text: string) => Promise<void>;
  /** The rows of a table batch, usually read while the batch before it was applied. */
  readonly fetchRows: (batch: TableBatch) => Promise<FetchedRows>;
  /** Called when everything a batch reads from the sources was read, just before it is applied. */
  readonly readsDone?: (batch: TableBatch) => void;
  /** A transaction of the conflict audit's own, for the conflicts this transaction settles. */
  readonly openAudit: () => Promise<AuditChannel>;
  /**
   * Per table (by `tableId`), the only databases it is written into, when not every database of the run
   * (the keys written into a truncate's winner before its copy); the transaction opens on those alone.
   */
  readonly writesOnly?: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * One transaction on every database: per table batch, fetch → resolve → apply; then commit everywhere,
 * or roll back everywhere on any failure. The conflicts it settles go to the audit as they are settled,
 * in an audit transaction committed after the databases committed, or rolled back with them.
 */
export async function applyTransaction(ctx: TransactionContext, transaction: readonly TableBatch[]): Promise<void> {
  const { parts, plan, sessions, args } = ctx;
  const only = ctx.writesOnly && new Set([...ctx.writesOnly.values()].flatMap((names) => [...names]));
  const written = only ? args.databases.filter((db) => only.has(db.name)) : args.databases;
  const targets = written.map((db) => sessions.target(db.name));
  // a connection that broke while idle (kept between runs) is found here, by the first statement on it
  const onEvery = (work: (target: TargetSession) => Promise<void>) => settleAll(targets.map((target, index) => work(target).catch((error: unknown) => {
    const db = written[index]!.name;
    throw databaseError(error, 'APPLY_FAILED', { db, sync: plan.name, plugin: sessions.pluginOf(db) });
  })));
  const audit = new ConflictAudit(ctx.openAudit);
  // what a refusal at commit names for the applyFailed hook: the batch of the table the server named
  const applied: AppliedBatch[] = [];
  await onEvery((target) => target.begin(args.signal));
  try {
    for (const batch of transaction) {
      const batchArgs = Object.freeze({ ...args, batch });
      const table = formatTable(batch.shape.table);
      await ctx.status(`Fetching ${table}`);
      let mark = performance.now();
      const lap = (what: string) => {
        const now = performance.now();
        args.log.log('debug', `${table}: ${what} in ${(now - mark).toFixed(1)} ms`);
        mark = now;
      };
      const rows = await ctx.fetchRows(batch);
      lap('fetched');
      let decisions: Decisions = new Map();
      if (batch.conflicts.length > 0) {
        await ctx.status(`Resolving ${batch.conflicts.length} conflicts in ${table}`);
        decisions = await parts.hooks.resolve.promise(new Map(), Object.freeze({ ...batchArgs, rows, strategy: plan.strategy, newestChange: ctx.newestChange(batch.shape.table) }));
      }
      lap('resolved');
      const settlement = settle(batch.conflicts, decisions, args.databases, plan.name, plan.strategy, (batch.shape.additive ?? []).length > 0);
      audit.add(settlement.records);
      const extra = await fetchOtherWinners(sessions, batch, rows, settlement, args.signal, ctx.guards);
      const recordOn = plan.makeDelta?.get(tableId(batch.shape.table));
      const into = ctx.writesOnly?.get(tableId(batch.shape.table));
      const receivers = into ? written.filter((db) => into.has(db.name)) : written;
      const { perDatabase, rowsMoved } = buildApplyPlan(batch, rows, settlement, extra, receivers, ctx.guards, args.signal, recordOn ? { sync: plan.name, on: recordOn } : undefined);
      // each database with the name the table has there, as a copy's status says it: what a user looks for there
      await ctx.status(`Applying ${table} to ${sessions.receivers([...perDatabase.keys()], batch.shape.table)}`);
      lap('planned');
      ctx.readsDone?.(batch);
      const outcome = await parts.hooks.apply.promise({ results: new Map() }, Object.freeze({ ...batchArgs, plan: perDatabase })).catch((error: unknown) => {
        // which batch failed, for the applyFailed hook, which is asked once everything is rolled back
        throw markFailedBatch(error, batch, settlement.winners);
      });
      lap(`applied (${rowsMoved} rows)`);
      ctx.counts.addBatch(batch, rowsMoved, outcome);
      applied.push({ batch, winners: settlement.winners });
    }
    await ctx.status('Committing');
    const committing = performance.now();
    await commitEverywhere(onEvery, args.signal, (error) => markFailedCommit(error, applied, (db, table) => sessions.tableOn(db, table)));
    ctx.counts.kept.transactionCommitted();
    args.log.log('debug', `committed on ${targets.length} databases in ${(performance.now() - committing).toFixed(1)} ms`);
  } catch (error) {
    await Promise.allSettled([...targets.map((target) => target.rollback()), audit.rollback()]);
    throw error;
  }
  await commitAudit(audit, args);
}

/** The audit's commit, once the databases committed: a failure is a warning, the sync's data is in place. */
async function commitAudit(audit: ConflictAudit, args: RunArgs): Promise<void> {
  if (audit.count === 0) return;
  const waiting = performance.now();
  try {
    await audit.commit();
    args.log.log('debug', `recorded ${audit.count} conflicts for the audit (waited ${(performance.now() - waiting).toFixed(1)} ms after the commit)`);
  } catch (error) {
    args.log.log('warn', `could not record ${audit.count} conflicts for the audit: ${String(error)}`);
  }
}

/** Images of winners that did not change the key (chosen by role, e.g. `source` or `target`), read now. */
async function fetchOtherWinners(
  sessions: RunSessions, batch: TableBatch, rows: FetchedRows, settlement: Settlement, signal: AbortSignal,
  captured: ReadonlyMap<string, Checkpoint>,
): Promise<Map<string, RowBatch>> {
  const { winners } = settlement;
  const wanted = new Map<string, KeyText[]>();
  const candidates = new Map(batch.conflicts.map((conflict) => [conflict.key, new Set(conflict.candidates.map((c) => c.db))]));
  for (const [key, winner] of winners) {
    if (candidates.get(key)?.has(winner) && rows.candidates.has(winner)) continue;
    let keys = wanted.get(winner);
    if (!keys) wanted.set(winner, (keys = []));
    keys.push(key);
  }
  const extra = new Map<string, RowBatch>();
  for (const [db, keys] of wanted) {
    const reader = await sessions.reader(db).catch((error: unknown) => {
      // a database that cannot be read: which strategy chose it, for which keys (the fix is in the sync's
      // conflict= or in the strategy); a readable one that is down keeps its own error (the sync stalls)
      if ((error as { code?: string }).code !== 'DB_ROLE_UNSUPPORTED') throw databaseError(error, 'FETCH_FAILED', { db, table: formatTable(batch.shape.table) });
      const chosenBy = settlement.records.find((record) => record.key === keys[0])?.decidedBy;
      const table = formatTable(batch.shape.table);
      const more = keys.length > 1 ? ` (and ${keys.length - 1} more)` : '';
      const why = error instanceof Error ? error.message : String(error);
      throw new BucardoError('DB_ROLE_UNSUPPORTED', `${why}: conflict strategy "${chosenBy}" chose it to win key ${displayKey(keys[0]!)}${more} of table "${table}"`, { db, table, key: keys[0]!, cause: error });
    });
    // a source's additive columns as of its capture, as the candidates' images are (a target has no capture)
    const additiveAsOf = (batch.shape.additive ?? []).length > 0 ? captured.get(db) : undefined;
    extra.set(db, await reader.fetch({ shape: batch.shape, keys, signal, ...(additiveAsOf ? { additiveAsOf } : {}) }).catch((error: unknown) => {
      throw databaseError(error, 'FETCH_FAILED', { db, table: formatTable(batch.shape.table) });
    }));
  }
  return extra;
}
