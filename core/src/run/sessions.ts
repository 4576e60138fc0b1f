import { BucardoError, defaultTargetCapabilities, formatTable, toBucardoError, type DatabaseDriver, type Logger, type RunInfo, type SourceCapabilities, type SourceSession, type TableRef, type TableShape, type TargetCapabilities, type TargetSession } from '@bucardo/plugin-sdk';
import type { Registry } from '../plugins/registry.js';
import { databaseError } from './database-error.js';
import { renamedReadSession, renamedTargetSession } from './renamed-sessions.js';
import { CustomColsReader } from './custom-cols-reader.js';
import { customColsTargetSession } from './custom-cols-sessions.js';
import { TableRenames, nameOn } from './table-renames.js';
import { settleAll } from './settle-all.js';
import type { SyncPlan } from './sync-plan.js';

/**
 * The open connections of one run: a source session on every source, a target session on every
 * database (sources receive the other sources' changes too). All are opened before anything is read,
 * so an unreachable database fails the run before any database is written.
 */
export class RunSessions {
  readonly sources = new Map<string, SourceSession>();
  readonly targets = new Map<string, TargetSession>();
  /** Read sessions opened on non-source databases, for winners chosen by role (`target`). */
  readonly #readers = new Map<string, SourceSession>();
  /** More target sessions per database, for reads beside its own (`spareTarget`). */
  readonly #spares = new Map<string, Promise<TargetSession>[]>();
  #plan: SyncPlan | undefined;
  #shapes: { key: string; shapes: TableShape[] } | undefined;
  #registry: Registry | undefined;
  /** The targets the current run has ended (`endRun`). */
  readonly #ended = new Set<string>();
  #log: Logger | undefined;
  /** Reads images again for the databases with customcols; absent when none has any. */
  #customCols: CustomColsReader | undefined;

  static async open(plan: SyncPlan, registry: Registry, log: Logger, label: string, signal: AbortSignal): Promise<RunSessions> {
    const { sessions, failures } = await RunSessions.#openEach(plan, registry, log, label, signal);
    // the first in the sync's order, whichever failed first
    const failed = plan.databases.map((db) => failures.get(db.name)).find((error) => error !== undefined);
    if (failed) {
      await sessions.close();
      throw failed;
    }
    return sessions;
  }

  /**
   * For reads that can go on without some databases (`compare`): the sessions of the databases that
   * could be reached, with `plan` narrowed to them, and the connection error of each of the others.
   */
  static async openReachable(plan: SyncPlan, registry: Registry, log: Logger, label: string, signal: AbortSignal): Promise<{ sessions: RunSessions; plan: SyncPlan; unreachable: Map<string, BucardoError> }> {
    const { sessions, failures } = await RunSessions.#openEach(plan, registry, log, label, signal);
    const reached: SyncPlan = { ...plan, databases: plan.databases.filter((db) => !failures.has(db.name)) };
    // a database half open (its source session up, its target session not) is closed and left out whole
    await Promise.allSettled([...failures.keys()].flatMap((db) => [sessions.sources.get(db), sessions.targets.get(db)]).map((session) => session?.close()));
    for (const db of failures.keys()) {
      sessions.sources.delete(db);
      sessions.targets.delete(db);
    }
    sessions.#plan = reached;
    // in the sync's order, not the order the connections failed in: what is printed stays the same run to run
    const unreachable = new Map(plan.databases.filter((db) => failures.has(db.name)).map((db) => [db.name, failures.get(db.name)!] as const));
    return { sessions, plan: reached, unreachable };
  }

  /** Opens every session of the plan at once; each database that fails gets its error (the first, if both its sessions fail). */
  static async #openEach(plan: SyncPlan, registry: Registry, log: Logger, label: string, signal: AbortSignal): Promise<{ sessions: RunSessions; failures: Map<string, BucardoError> }> {
    const sessions = new RunSessions();
    sessions.#plan = plan;
    sessions.#registry = registry;
    sessions.#log = log;
    const failures = new Map<string, BucardoError>();
    if (plan.databases.some((db) => db.customCols?.length)) {
      sessions.#customCols = new CustomColsReader(plan.name, (db) => {
        const planned = plan.databases.find((candidate) => candidate.name === db);
        const driver = planned && registry.database(planned.spec.type).source;
        return planned && driver ? { spec: planned.spec, driver, customNames: planned.customNames ?? [] } : undefined;
      }, log);
    }
    const firstSource = plan.databases.find((db) => db.role === 'source')?.name ?? '';
    // every role checked before anything opens: a refusal then leaves no session behind
    const drivers = plan.databases.map((db) => {
      const driver = registry.database(db.spec.type);
      if (db.role === 'source' && !driver.source) throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db.name}" (type ${db.spec.type}) cannot be a source`, { db: db.name, sync: plan.name });
      if (!driver.target) throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${db.name}" (type ${db.spec.type}) cannot be written to`, { db: db.name, sync: plan.name });
      return { db, source: db.role === 'source' ? driver.source : undefined, target: driver.target };
    });
    const opening: Promise<void>[] = [];
    for (const { db, source, target } of drivers) {
      const context = { log: log.child({ db: db.name }), label, signal };
      // a driver's own failure to connect may not say to which database
      const named = (error: unknown) => {
        if (!failures.has(db.name)) failures.set(db.name, toBucardoError(error, 'CONNECTION_FAILED', { db: db.name, sync: plan.name }));
      };
      if (source) opening.push(source.open(db.spec, context).then((session) => { sessions.sources.set(db.name, session); }, named));
      const renames = new TableRenames(db.customNames ?? []);
      const wrap = (session: TargetSession) => {
        const named = renames.size > 0 ? renamedTargetSession(session, renames) : session;
        // the images read with the sync's names, then written under the name there
        return db.customCols?.length ? customColsTargetSession(named, db.customCols, sessions.#customCols!, firstSource, db.name) : named;
      };
      opening.push(target.open(db.spec, context).then((session) => { sessions.targets.set(db.name, wrap(session)); }, named));
    }
    await Promise.all(opening);
    return { sessions, failures };
  }

  source(db: string): SourceSession {
    const session = this.sources.get(db);
    if (!session) throw new BucardoError('DB_NOT_FOUND', `No source session for database "${db}"`, { db });
    return session;
  }

  /** What the driver of source `db` can do (flags left out are false). */
  sourceCapabilities(db: string): SourceCapabilities {
    return this.#driverOf(db)?.driver.source?.capabilities ?? {};
  }

  /** What the writer of database `db` can do, each flag left out at the SDK's default (false). */
  targetCapabilities(db: string): Required<TargetCapabilities> {
    return { ...defaultTargetCapabilities, ...this.#driverOf(db)?.driver.target?.capabilities };
  }

  /** Database `db` of the plan and its registered driver. */
  #driverOf(db: string): { planned: SyncPlan['databases'][number]; driver: DatabaseDriver } | undefined {
    const planned = this.#plan?.databases.find((candidate) => candidate.name === db);
    return planned && this.#registry ? { planned, driver: this.#registry.database(planned.spec.type) } : undefined;
  }

  /** The plugin that registered the type of database `db`, for errors of its own code. */
  pluginOf(db: string): string | undefined {
    const type = this.#driverOf(db)?.planned.spec.type;
    return type === undefined ? undefined : this.#registry?.ownerOfDatabaseType(type);
  }

  /** Table `table` as it is named on database `db` (a custom name there), for errors about it there. */
  tableOn(db: string, table: TableRef): string {
    const planned = this.#plan?.databases.find((candidate) => candidate.name === db);
    return formatTable(planned ? nameOn(planned, table) : table);
  }

  /** Databases `dbs` receiving `table`, each with the name it has there where that is another: `R (as reporting.t), S`. */
  receivers(dbs: readonly string[], table: TableRef): string {
    return dbs.map((db) => {
      const there = this.tableOn(db, table);
      return there === formatTable(table) ? db : `${db} (as ${there})`;
    }).join(', ');
  }

  target(db: string): TargetSession {
    const session = this.targets.get(db);
    if (!session) throw new BucardoError('DB_NOT_FOUND', `No target session for database "${db}"`, { db });
    return session;
  }

  /** Shapes checked by an earlier run on these sessions, for the same tables and databases. */
  checkedShapes(key: string): TableShape[] | undefined {
    return this.#shapes?.key === key ? this.#shapes.shapes : undefined;
  }

  rememberShapes(key: string, shapes: TableShape[]): void {
    this.#shapes = { key, shapes };
  }

  /**
   * Tells every target a run starts (targets whose unit of output is the run, like a file per run). Waits
   * for all of them, also after a failure: a run that ends while one is still starting would leave it half
   * set up.
   */
  async beginRun(run: RunInfo): Promise<void> {
    this.#ended.clear();
    this.#customCols?.forget();
    await settleAll([...this.targets].map(([db, target]) => (target.beginRun?.(run) ?? Promise.resolve()).catch((error: unknown) => {
      throw databaseError(error, 'APPLY_FAILED', { db, sync: run.sync, plugin: this.pluginOf(db) });
    })));
  }

  /**
   * Tells every target how the run ended; a failure to finish a good run fails the run, one to finish a
   * bad run (which already failed) is logged. Either way the checkpoints may have moved: a writer keeps
   * what it committed for its next run (the SDK's `endRun`).
   */
  async endRun(run: RunInfo & { outcome: 'good' | 'empty' | 'bad' }): Promise<void> {
    // after a good end failed on one target, the bad end goes only to those not ended yet; and every call
    // is waited for, so that a target never ends twice at once
    await settleAll([...this.targets].filter(([db]) => !this.#ended.has(db)).map(async ([db, target]) => {
      try {
        await target.endRun?.(run);
        this.#ended.add(db);
      } catch (error) {
        const failure = databaseError(error, 'APPLY_FAILED', { db, sync: run.sync, plugin: this.pluginOf(db) });
        if (run.outcome !== 'bad') throw failure;
        this.#log?.log('warn', `Database "${db}" could not end run ${run.runId}: ${failure.message}`, { db });
      }
    }));
  }

  /** A session that can read rows on `db`: its source session, or one opened on a target that can be read. */
  /** Whether rows can be read from `db` (`reader`): a source, or a database whose driver has a source side. */
  canRead(db: string): boolean {
    return this.sources.has(db) || this.#readers.has(db) || this.#driverOf(db)?.driver.source !== undefined;
  }

  async reader(db: string): Promise<SourceSession> {
    const session = this.sources.get(db) ?? this.#readers.get(db);
    if (session) return session;
    const { planned, driver } = this.#driverOf(db) ?? {};
    if (!planned || !driver?.source) {
      throw new BucardoError('DB_ROLE_UNSUPPORTED', `Cannot read rows from database "${db}"${planned ? ` (type ${planned.spec.type})` : ''} to settle a conflict`, { db });
    }
    const reader = await driver.source.open(planned.spec, { log: this.#log!.child({ db }), label: `bucardo ${this.#plan!.name} reader` }).catch((error: unknown) => {
      throw toBucardoError(error, 'CONNECTION_FAILED', { db, sync: this.#plan!.name });
    });
    const renames = new TableRenames(planned.customNames ?? []);
    const named = renames.size > 0 ? renamedReadSession(reader, renames) : reader;
    this.#readers.set(db, named);
    return named;
  }

  /**
   * The `n`th target session on `db` besides its own (from 1), opened on first ask and kept until `close`:
   * for reads that must go on beside the others on that database (`compare` digesting the first source as
   * it is and through a customcols list at once: a session reads one cursor at a time). Its tables are
   * named as they are there, as its own session's are.
   */
  spareTarget(db: string, n: number): Promise<TargetSession> {
    const spares = this.#spares.get(db) ?? [];
    this.#spares.set(db, spares);
    const known = spares[n - 1];
    if (known) return known;
    const { planned, driver } = this.#driverOf(db) ?? {};
    if (!planned || !driver?.target) throw new BucardoError('DB_NOT_FOUND', `No target session for database "${db}"`, { db });
    const renames = new TableRenames(planned.customNames ?? []);
    const opened = driver.target.open(planned.spec, { log: this.#log!.child({ db }), label: `bucardo ${this.#plan!.name} reader` }).then(
      (session) => (renames.size > 0 ? renamedTargetSession(session, renames) : session),
      (error: unknown) => {
        throw toBucardoError(error, 'CONNECTION_FAILED', { db, sync: this.#plan!.name });
      },
    );
    spares[n - 1] = opened;
    return opened;
  }

  async close(): Promise<void> {
    const spares = [...this.#spares.values()].flat();
    this.#spares.clear();
    await Promise.allSettled(spares.map(async (session) => (await session).close()));
    await Promise.allSettled([...this.sources.values(), ...this.targets.values(), ...this.#readers.values()].map((session) => session.close()).concat(this.#customCols?.close() ?? []));
    this.sources.clear();
    this.targets.clear();
    this.#readers.clear();
  }
}
