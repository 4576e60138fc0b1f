import { hostname } from 'node:os';
import type { BucardoConfig, BucardoPlugin, RunReport, TableRef } from '@bucardo/plugin-sdk';
import { Engine } from '../engine.js';
import { resolveControlTarget, type ControlTarget } from '../control/control-connection.js';
import { installControl, type InstallResult } from '../control/control-install.js';
import { ControlSession } from '../control/control-session.js';
import type { DbGroupRow, HerdRow, RelationRow, SyncRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { addDatabase, listDatabases, type AddDatabaseOptions, type DatabaseListing } from './databases.js';
import { updateDatabase, type DatabaseUpdate } from './database-update.js';
import { addDbGroup, listDbGroups } from './dbgroups.js';
import { updateDbGroup, type DbGroupUpdate, type UpdatedDbGroup } from './dbgroup-update.js';
import { addDatabasesToGroup, type GroupJoin, type GroupJoinRequest } from './database-joining.js';
import { addHerd, listHerds } from './herds.js';
import { kickSync, runSyncNow, type KickResult } from './kick.js';
import { reloadDaemon, type ReloadOptions, type ReloadResult } from './reload.js';
import { changeSyncStatus, setSetting, type SyncAction } from './sync-control.js';
import { Daemon, defaultDaemonId } from '../daemon/daemon.js';
import type { DaemonRow } from '../control/daemon-store.js';
import type { RunSizes, SessionCache } from '../run/run-sync.js';
import { DEFAULT_PARTITION_SIZE } from '../run/partitions.js';
import { badRunSize } from '../run/run-sizes.js';
import { stalledSyncs, syncStatuses, type SyncStatusReport } from './status.js';
import { addSync, listSyncs, updateSync, type AddSyncResult } from './syncs.js';
import { addTables, listTables, updateTable, type AddTablesOptions, type AddTablesResult } from './tables.js';
import type { ConflictLogRow } from '../control/run-store.js';
import { addSequences } from './sequences.js';
import { addAllSequences, addAllTables, type AddAllOptions, type AddAllTablesResult } from './add-all.js';
import { removeDbGroups, removeHerds } from './groups-removal.js';
import { addCustomName, listCustomNames, removeCustomNames, type CustomNameRow, type CustomNameScope } from './custom-names.js';
import { addCustomCols, listCustomCols, removeCustomCols, type CustomColsRow } from './custom-cols.js';
import { addTablesToSync, removeDatabases, removeSync, removeTables, removeTablesFromSync, type RemovedDatabases, type RemovedSync, type RemovedTables } from './lifecycle.js';
import { deltaBacklog, purgeDeltas, validateSyncs, type DeltaResult, type PurgeResult, type SyncValidation } from './maintenance.js';
import { compareSync, type CompareOptions, type SyncComparison } from './compare.js';
import { foreignKeyWarnings, inspectHerds, inspectSyncs, inspectTables, type SyncForeignKeyWarnings, type TableInspection } from './inspect.js';
import { BucardoError } from '@bucardo/plugin-sdk';

/** What `Bucardo.open` takes: the config's settings, with the plugins as objects (the CLI resolves the config's names). */
export interface BucardoOptions extends Pick<BucardoConfig, 'control' | 'logLevel' | 'logger' | 'loggerOptions' | 'batchSize' | 'partitionSize' | 'refreshAbove'> {
  readonly plugins: readonly BucardoPlugin[];
  /** The process role in log lines and run records, e.g. `cli`, `daemon`. */
  readonly role?: string;
  /** Where the logger writes when its options name no destination (the daemon's default log directory). */
  readonly defaultLogDestinations?: readonly string[];
  /** The config file `control` was read from, named in messages about its settings (`control.sslkey in FILE`). */
  readonly configFile?: string;
}

/**
 * The public API of a Bucardo installation: what the `bucardo` command does, callable from code.
 * The CLI is a thin layer over it (parse, call, format).
 */
export class Bucardo {
  readonly engine: Engine;
  readonly controlTarget: ControlTarget;
  readonly #options: BucardoOptions;
  #control: ControlSession | undefined;

  private constructor(engine: Engine, options: BucardoOptions) {
    this.engine = engine;
    this.#options = options;
    this.controlTarget = resolveControlTarget(options.control, process.env, options.configFile);
  }

  static async open(options: BucardoOptions): Promise<Bucardo> {
    const bad = badRunSize(options);
    if (bad) throw new BucardoError('INVALID_ARGUMENT', `${bad.field} must be ${bad.rule}, not ${JSON.stringify(bad.value)}`, { item: bad.field });
    const role = options.role ?? 'api';
    const engine = await Engine.create({
      plugins: options.plugins,
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.loggerOptions ? { loggerOptions: options.loggerOptions } : {}),
      ...(options.defaultLogDestinations ? { defaultLogDestinations: options.defaultLogDestinations } : {}),
      logFields: { role },
    });
    return new Bucardo(engine, options);
  }

  install(): Promise<InstallResult> {
    return installControl(this.controlTarget);
  }

  addDatabase(name: string, params: Readonly<Record<string, string>>, options?: AddDatabaseOptions): Promise<DatabaseListing> {
    return this.#with((ctx) => addDatabase(ctx, name, params, options));
  }

  /** `add db A[,B…] … dbgroup=G[:ROLE]`, all or none: see `core/src/api/database-joining.ts`. */
  addDatabasesToGroup(databases: ReadonlyArray<{ readonly name: string; readonly params: Readonly<Record<string, string>> }>, options: AddDatabaseOptions, request: GroupJoinRequest): Promise<GroupJoin> {
    return this.#with((ctx) => addDatabasesToGroup(ctx, databases, options, request));
  }

  /** `bucardo update db NAME key=value…`: changed settings replace the stored ones; test-connected unless `force`. */
  updateDatabase(name: string, changes: Readonly<Record<string, string>>, options?: { force?: boolean }): Promise<DatabaseUpdate> {
    return this.#with((ctx) => updateDatabase(ctx, name, changes, options));
  }

  listDatabases(): Promise<DatabaseListing[]> {
    return this.#with(listDatabases);
  }

  addTables(names: readonly string[], options?: AddTablesOptions): Promise<AddTablesResult> {
    return this.#with((ctx) => addTables(ctx, names, options));
  }

  addSequences(names: readonly string[], options: { herd?: string; db?: string } = {}): Promise<{ added: TableRef[]; herdCreated: boolean }> {
    return this.#with((ctx) => addSequences(ctx, names, options));
  }

  /** `bucardo add all tables`: every table of one database that `include` picks, added as `addTables` adds them. */
  addAllTables(options?: AddAllOptions): Promise<AddAllTablesResult> {
    return this.#with((ctx) => addAllTables(ctx, options));
  }

  /** `bucardo add all sequences`: every sequence of one database that `include` picks. */
  addAllSequences(options?: Pick<AddAllOptions, 'db' | 'herd' | 'include'>): Promise<{ db: string; added: TableRef[]; herdCreated: boolean }> {
    return this.#with((ctx) => addAllSequences(ctx, options));
  }

  /** `update sync S add table T…`: the tables join the sync's herd; capture is installed on its sources. */
  addTablesToSync(sync: string, tables: readonly string[]): Promise<TableRef[]> {
    return this.#with((ctx) => addTablesToSync(ctx, sync, tables));
  }

  /** `update sync S remove table T…`: out of the herd, capture removed where nothing else reads it. */
  removeTablesFromSync(sync: string, tables: readonly string[]): Promise<RemovedTables> {
    return this.#with((ctx) => removeTablesFromSync(ctx, sync, tables));
  }

  /**
   * `remove sync S`: returns what the sync had not delivered yet on each source (dropped with it; not
   * counted where a source could not be reached, saying why), the capture removed per database, and the
   * sources whose capture could not be removed. An unreachable source does not keep the sync.
   */
  removeSync(name: string): Promise<RemovedSync> {
    return this.#with((ctx) => removeSync(ctx, name));
  }

  removeTables(names: readonly string[], options: { force?: boolean } = {}): Promise<RemovedTables> {
    return this.#with((ctx) => removeTables(ctx, names, options.force === true));
  }

  /**
   * `bucardo add customname TABLE NEWNAME [db=DB] [sync=SYNC]`: the table is written under another name on
   * receiving databases, from the sync's next run (see `core/src/api/custom-names.ts` for what is refused).
   */
  addCustomName(table: string, newName: string, scope: CustomNameScope = {}): Promise<CustomNameRow> {
    return this.#with((ctx) => addCustomName(ctx, table, newName, scope));
  }

  listCustomNames(): Promise<CustomNameRow[]> {
    return this.#with(listCustomNames);
  }

  /** `bucardo remove customname ID…`: returns the custom names removed. */
  removeCustomNames(ids: readonly number[]): Promise<CustomNameRow[]> {
    return this.#with((ctx) => removeCustomNames(ctx, ids));
  }

  /**
   * `bucardo add customcols TABLE "SELECT …" [db=DB] [sync=SYNC]`: receiving databases get the table's rows
   * as this select list reads them, from the sync's next run (see `core/src/api/custom-cols.ts` for what
   * is refused).
   */
  addCustomCols(table: string, clause: string, scope: CustomNameScope = {}): Promise<CustomColsRow> {
    return this.#with((ctx) => addCustomCols(ctx, table, clause, scope));
  }

  listCustomCols(): Promise<CustomColsRow[]> {
    return this.#with(listCustomCols);
  }

  /** `bucardo remove customcols ID…`: returns the clauses removed. */
  removeCustomCols(ids: readonly number[]): Promise<CustomColsRow[]> {
    return this.#with((ctx) => removeCustomCols(ctx, ids));
  }

  /** `bucardo remove relgroup NAME…`: refused (naming the syncs) for a herd a sync replicates; tables stay recorded. */
  removeHerds(names: readonly string[]): Promise<string[]> {
    return this.#with((ctx) => removeHerds(ctx, names));
  }

  /** `bucardo remove dbgroup NAME…`: refused (naming the syncs) for a dbgroup a sync uses; databases stay recorded. */
  removeDbGroups(names: readonly string[]): Promise<string[]> {
    return this.#with((ctx) => removeDbGroups(ctx, names));
  }

  removeDatabases(names: readonly string[], options: { force?: boolean } = {}): Promise<RemovedDatabases> {
    return this.#with((ctx) => removeDatabases(ctx, names, options.force === true));
  }

  /** `compare SYNC [TABLE…]`: the rows of the sync's tables on every database, against its first source (reads only). */
  compare(name: string, options: CompareOptions = {}): Promise<SyncComparison> {
    return this.#with((ctx) => compareSync(ctx, name, options));
  }

  /** `validate SYNC…`: the problems found on every database, per sync (none: valid), and the warnings. */
  validate(names: readonly string[]): Promise<SyncValidation[]> {
    return this.#with((ctx) => validateSyncs(ctx, names));
  }

  /**
   * `inspect table|herd|sync NAME…`: per table, the herds it is in (those named, for a herd or a sync), their
   * syncs, and its foreign keys that leave each herd, read on the database it was added from.
   */
  inspect(kind: 'table' | 'herd' | 'sync', names: readonly string[]): Promise<TableInspection[]> {
    const inspect = kind === 'table' ? inspectTables : kind === 'herd' ? inspectHerds : inspectSyncs;
    return this.#with((ctx) => inspect(ctx, names));
  }

  /**
   * The syncs' foreign keys that leave their herds, as warnings (`TABLE_NOT_IN_HERD`) naming the sync, the
   * tables and the constraint, read on each sync's first source: what `validate` warns about, for `add
   * sync`, `update sync … add table` and `add table T herd=H` to say after they succeed. One session per
   * source database, however many syncs; none where that source's plugin cannot list them. A sync whose
   * foreign keys could not be read gets the error instead.
   */
  foreignKeyWarnings(syncs: readonly string[]): Promise<SyncForeignKeyWarnings[]> {
    return this.#with((ctx) => foreignKeyWarnings(ctx, syncs));
  }

  /** `purge`: deletes consumed change records; per database, how many, or why it could not (the others are still purged). */
  purge(dbs?: readonly string[]): Promise<PurgeResult[]> {
    return this.#with((ctx) => purgeDeltas(ctx, dbs));
  }

  /** `delta`: change records not yet consumed, per database and table, or why a database could not be read. */
  delta(dbs?: readonly string[]): Promise<DeltaResult[]> {
    return this.#with((ctx) => deltaBacklog(ctx, dbs));
  }

  updateTable(name: string, options: { additive?: readonly string[]; makedelta?: string }): Promise<RelationRow> {
    return this.#with((ctx) => updateTable(ctx, name, options));
  }

  /** Recorded conflicts, newest first (`bucardo list conflicts [SYNC] [table=T]`). */
  listConflicts(filter: { sync?: string; table?: string; limit?: number } = {}): Promise<ConflictLogRow[]> {
    return this.#with(async (ctx) => {
      if (filter.sync !== undefined) await ctx.control.catalog.sync(filter.sync);
      return ctx.control.runs.conflicts({ ...filter, limit: filter.limit ?? 100 });
    });
  }

  listTables(): Promise<RelationRow[]> {
    return this.#with(listTables);
  }

  addHerd(name: string, tables: readonly string[]): Promise<{ name: string; members: TableRef[] }> {
    return this.#with((ctx) => addHerd(ctx, name, tables));
  }

  listHerds(): Promise<HerdRow[]> {
    return this.#with(listHerds);
  }

  addDbGroup(name: string, members: readonly string[]): Promise<DbGroupRow> {
    return this.#with((ctx) => addDbGroup(ctx, name, members));
  }

  /**
   * `update dbgroup NAME DB[:ROLE]… | remove DB… | name=NEW`: databases added to the syncs using it, given
   * another role, or taken out, each sync checked first (see `core/src/api/dbgroup-update.ts`).
   */
  updateDbGroup(name: string, update: DbGroupUpdate): Promise<UpdatedDbGroup> {
    return this.#with((ctx) => updateDbGroup(ctx, name, update));
  }

  listDbGroups(): Promise<DbGroupRow[]> {
    return this.#with(listDbGroups);
  }

  addSync(name: string, params: Readonly<Record<string, string>>): Promise<AddSyncResult> {
    return this.#with((ctx) => addSync(ctx, name, params));
  }

  updateSync(name: string, params: Readonly<Record<string, string>>): Promise<SyncRow> {
    return this.#with((ctx) => updateSync(ctx, name, params));
  }

  listSyncs(): Promise<SyncRow[]> {
    return this.#with(listSyncs);
  }

  /**
   * The syncs that the daemon running them finds stalled (it cannot reach one of their databases, or one
   * is inactive, and retries): what `status` shows as `Status : Stalled`, from the same worker rows.
   */
  stalledSyncs(): Promise<Set<string>> {
    return this.#with(stalledSyncs);
  }

  /**
   * Runs a sync once in this process and returns its report (outcome `bad` carries the error). Pass the
   * same `cache` to several runs to keep their connections open in between (close `cache.sessions` after).
   */
  runSync(name: string, options: { signal?: AbortSignal; cache?: SessionCache } = {}): Promise<RunReport> {
    return this.#with((ctx) => runSyncNow(ctx, name, { sizes: this.#sizes(), ...options }));
  }

  /**
   * Queues a run (`kick SYNC`); with `wait`, returns when a run served it: this process runs it when no
   * daemon owns the sync, otherwise the owning daemon does. `signal` ends the wait (`stopped`), and stops
   * a run this process started.
   */
  kick(name: string, options: { wait: boolean; timeoutMs?: number; signal?: AbortSignal }): Promise<KickResult> {
    return this.#with((ctx) => kickSync(ctx, name, { ...options, sizes: this.#sizes() }));
  }

  /** How runs are cut (`batchSize`, `partitionSize`, `refreshAbove`), as given or by default: what a daemon reloaded on this API runs with. */
  get runSizes(): RunSizes {
    return this.#sizes();
  }

  #sizes(): RunSizes {
    return {
      batchSize: this.#options.batchSize ?? 100_000, partitionSize: this.#options.partitionSize ?? DEFAULT_PARTITION_SIZE,
      ...(this.#options.refreshAbove === undefined ? {} : { refreshAbove: this.#options.refreshAbove }),
    };
  }

  changeSyncStatus(name: string, action: SyncAction): Promise<SyncRow['status']> {
    return this.#with((ctx) => changeSyncStatus(ctx, name, action));
  }

  setSetting(name: string, value: string): Promise<void> {
    return this.#with((ctx) => setSetting(ctx, name, value));
  }

  settings(): Promise<Map<string, string>> {
    return this.#with((ctx) => ctx.control.catalog.settings());
  }

  /**
   * Refuses a control database that is not installed or whose schema is older than this version
   * (CONTROL_NOT_INSTALLED, naming the tables and columns it lacks): `bucardo start` asks before it starts a daemon.
   */
  checkSchema(): Promise<void> {
    return this.#with((ctx) => ctx.control.checkSchema());
  }

  daemons(): Promise<DaemonRow[]> {
    return this.#with((ctx) => ctx.control.daemons.daemons());
  }

  /**
   * `bucardo message`: a line every running daemon's log gets once (the first daemon to read it logs it),
   * at terse; kept until a daemon runs when none does.
   */
  sendMessage(message: string): Promise<void> {
    return this.#with((ctx) => ctx.control.daemons.sendMessage(message, ctx.worker));
  }

  /** Asks daemon `daemonId` to reload (`wake` signals it) and waits for its answer: taken, refused and why, or none in time. */
  reloadDaemon(daemonId: string, options: ReloadOptions): Promise<ReloadResult> {
    return this.#with((ctx) => reloadDaemon(ctx, daemonId, options));
  }

  /** A daemon on this installation's engine and control database; `run(signal)` it, `reload(engine)` or `reloadFrom(load)` it. */
  createDaemon(options: { id?: string; reason?: string; pollMs?: number; leaseMs?: number; maxBackoffMs?: number; purgeEveryMs?: number } = {}): Daemon {
    return new Daemon(this.engine, this.controlTarget, {
      id: options.id ?? defaultDaemonId(),
      sizes: this.#sizes(),
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(options.maxBackoffMs === undefined ? {} : { maxBackoffMs: options.maxBackoffMs }),
      ...(options.purgeEveryMs === undefined ? {} : { purgeEveryMs: options.purgeEveryMs }),
    });
  }

  status(names?: readonly string[]): Promise<SyncStatusReport[]> {
    return this.#with((ctx) => syncStatuses(ctx, names));
  }

  async close(): Promise<void> {
    await this.#control?.close();
    this.#control = undefined;
    await this.engine.log.flush();
  }

  async #with<T>(work: (ctx: BucardoContext) => Promise<T>): Promise<T> {
    this.#control ??= await ControlSession.open(this.controlTarget, `bucardo ${this.#options.role ?? 'api'}`);
    return work({ engine: this.engine, control: this.#control, worker: `${this.#options.role ?? 'api'} ${process.pid}@${hostname()}` });
  }
}
