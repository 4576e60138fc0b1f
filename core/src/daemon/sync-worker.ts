import { formatTable, type Checkpoint, type Logger, type LogLevel, type RunReport, type SourceSession, type TableShape } from '@bucardo/plugin-sdk';
import { loadSyncPlan } from '../api/sync-plan-loader.js';
import { purgeDeltas } from '../api/maintenance.js';
import { specOf } from '../api/databases.js';
import type { ControlSession } from '../control/control-session.js';
import { isControlLost } from '../control/control-connection.js';
import type { Engine } from '../engine.js';
import type { RunSizes, SessionCache } from '../run/run-sync.js';
import { isPureFullcopy, recordsInto, sourcesOf, type SyncPlan } from '../run/sync-plan.js';
import { describeAll } from '../run/table-shapes.js';
import { errorFields } from '../logging.js';
import { probeOn, ProbeFailure } from './probe-failure.js';
import { ReachWatch } from './reach-watch.js';
import { backoffMs, pollDelayMs, WakeSignal } from './wake-signal.js';

/** How often an open probe looks for tables added to or removed from the sync's herd. */
const HERD_CHECK_MS = 1000;

/** Connections kept open to an autokick sync's sources, for cheap change probes. */
interface Probe {
  readonly plan: SyncPlan;
  readonly shapes: TableShape[];
  readonly sessions: Map<string, SourceSession>;
}

export interface WorkerSettings {
  readonly daemonId: string;
  /** The sizes of its runs until a reload gives it others (`useEngine`). */
  readonly sizes: RunSizes;
  /** How often an autokick sync's sources are probed for changes. */
  readonly pollMs: number;
  /** The longest wait between retries of a failing sync. */
  readonly maxBackoffMs: number;
  /** How often consumed change records are purged after good runs. */
  readonly purgeEveryMs: number;
}

/**
 * Runs one sync for as long as this daemon owns it: when kicked, when an autokick probe finds changes,
 * when its checktime is due, and again after a failure (with backoff, so an unreachable database is
 * retried until it returns, without anyone restarting anything).
 */
export class SyncWorker {
  readonly name: string;
  #engine: Engine;
  readonly #control: ControlSession;
  readonly #settings: WorkerSettings;
  #sizes: RunSizes;
  readonly #log: Logger;
  readonly #wake = new WakeSignal();
  readonly #stopping = new AbortController();
  readonly #aborting = new AbortController();
  /** A kick request was passed on (NOTIFY or the daemon's round); it may already be served by a run in progress. */
  #kicked = false;
  /** Run at the next look even without a kick request (a sync just taken). */
  #forced = false;
  #failures = 0;
  #retryAt = 0;
  #lastRun = Date.now();
  #lastPurge = 0;
  #loop: Promise<void> | undefined;
  #probe: Probe | undefined;
  /**
   * The checkpoints the probe compares against, read once per run instead of once per probe: only this
   * worker's runs move them (it holds the sync's lock), and an older one only makes a probe say yes.
   */
  #probeCheckpoints: Map<string, Checkpoint> | undefined;
  /** When the probe last checked the herd for added or removed tables. */
  #herdCheckedAt = 0;
  /** How long the last autokick probe took: the next one waits at least four times as long. */
  #lastProbeMs = 0;
  /** The run's connections, kept between runs of this sync. */
  readonly #cache: SessionCache = {};
  /** The database the last run could not connect to, test-connected while the retry waits. */
  readonly #reach = new ReachWatch();
  /** The plan of the last run: where the watched database is. */
  #lastPlan: SyncPlan | undefined;
  /** A test connection under way (never awaited by the loop: a kick must not wait for a connect timeout). */
  #reachTest: Promise<void> | undefined;

  constructor(name: string, engine: Engine, control: ControlSession, settings: WorkerSettings, log: Logger) {
    this.name = name;
    this.#engine = engine;
    this.#control = control;
    this.#settings = settings;
    this.#sizes = settings.sizes;
    this.#log = log.child({ sync: name });
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** `force`: run even if no kick request is pending (a sync just taken may have changes nobody ran). */
  kick(force = false): void {
    if (force) this.#forced = true;
    else this.#kicked = true;
    this.#wake.wake();
  }

  /** Uses a new engine, and new run sizes when given (after a reload), from the next run on. */
  useEngine(engine: Engine, sizes?: RunSizes): void {
    this.#engine = engine;
    if (sizes) this.#sizes = sizes;
    void this.#closeProbe();
    // A run in progress keeps its sessions; the next run sees the key gone and opens new ones.
    this.#cache.key = undefined;
  }

  /**
   * Stops after the run in progress, if any. With `abortRun` the run is aborted and rolled back, for when
   * this daemon lost the sync's lock and another daemon may already be running it.
   */
  async stop(abortRun = false): Promise<void> {
    this.#stopping.abort();
    if (abortRun) this.#aborting.abort();
    this.#wake.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      try {
        if (await this.#due()) await this.#runOnce();
      } catch (error) {
        // a probe the stop cut short failed nothing: said, it read as a failure in the stopping daemon's log
        if (this.#stopping.signal.aborted) break;
        // a lost control connection is the daemon's to say (once, with reminders), for its round fails on
        // the same connection: every worker saying it too was a line per sync and retry
        const quiet = this.#control.broken || isControlLost(error);
        this.#fail({ message: `could not be checked: ${(error as Error).message}`, error: error instanceof ProbeFailure ? error.error : error, level: quiet ? 'debug' : 'warn' });
      }
      await this.#wake.sleep(pollDelayMs(this.#settings.pollMs, this.#lastProbeMs), this.#stopping.signal);
    }
    await this.#closeProbe();
    await this.#cache.sessions?.close();
    this.#cache.sessions = undefined;
  }

  async #due(): Promise<boolean> {
    const now = Date.now();
    if (this.#kicked) {
      this.#kicked = false;
      // The daemon's round passes on every request not yet served, including one that the run just
      // started is about to serve (a run serves the requests made before it starts): one kick, one run.
      // A kick is answered now, even while a failed run waits for its retry: whoever kicks has usually
      // just mended what failed, and waits for the answer.
      if ((await this.#control.daemons.pendingKicks()).has(this.name)) return true;
    }
    if (this.#failures > 0 && now < this.#retryAt) {
      this.#testReach(now);
      return false;
    }
    if (this.#forced || this.#failures > 0) return true;
    const sync = await this.#control.catalog.sync(this.name);
    if (sync.checktimeSeconds && now - this.#lastRun >= sync.checktimeSeconds * 1000) return true;
    return sync.autokick && (await this.#hasChangesOrLost());
  }

  /**
   * The probe's answer; yes when it lost a source (a backend ended, a server restarted): the run then
   * opens new connections, and either delivers what the probe could not see or fails saying the database
   * is unreachable, which the retries with backoff are for. A lost probe used to count as a failed
   * attempt of its own, logged without the database's name, and the run after it failed again on the
   * kept connections the same restart had broken.
   */
  async #hasChangesOrLost(): Promise<boolean> {
    try {
      return await this.#hasChanges();
    } catch (error) {
      if (!(error instanceof ProbeFailure) || !error.unreachable) throw error;
      this.#log.log('normal', `Sync "${this.name}": the change probe failed (${error.message}); running the sync on new connections`, errorFields(error.error));
      await this.#closeProbe();
      // the run's kept connections went the same way, most likely: a new key makes the run open others
      this.#cache.key = undefined;
      return true;
    }
  }

  async #runOnce(): Promise<void> {
    this.#kicked = false;
    this.#forced = false;
    const plan = await loadSyncPlan(this.#control.catalog, this.name);
    this.#lastPlan = plan;
    this.#reach.clear();
    await this.#control.daemons.setState(this.name, this.#settings.daemonId, 'running', this.#failures, null);
    const report = await this.#engine.run(plan, this.#control.runs, {
      ...this.#sizes, worker: `daemon ${this.#settings.daemonId}`, signal: this.#aborting.signal, cache: this.#cache,
      failureNote: retryNote(this.#failures + 1, this.#settings.maxBackoffMs),
    });
    this.#lastRun = Date.now();
    this.#probeCheckpoints = undefined;
    if (report.outcome === 'bad') {
      // the run's failure line said the retry already
      this.#fail(undefined, report);
      return;
    }
    if (this.#failures > 0) this.#log.log('terse', `Sync "${this.name}" recovered after ${this.#failures} failed attempt(s)`);
    this.#failures = 0;
    await this.#purgeNow(plan);
    await this.#control.daemons.setState(this.name, this.#settings.daemonId, 'idle', 0, null);
    // More may have been committed while this run worked: look again at once.
    if (report.outcome === 'good') this.#wake.wake();
  }

  /** Consumed change records are purged after good runs, at most once per `purgeEveryMs`, so delta tables stay small. */
  async #purgeNow(plan: SyncPlan): Promise<void> {
    if (Date.now() - this.#lastPurge < this.#settings.purgeEveryMs) return;
    this.#lastPurge = Date.now();
    try {
      const ctx = { engine: this.#engine, control: this.#control, worker: `daemon ${this.#settings.daemonId}` };
      const purged = await purgeDeltas(ctx, sourcesOf(plan).map((db) => db.name), this.#cache.sessions?.sources);
      const done = purged.filter((entry) => 'purged' in entry);
      const total = done.reduce((sum, entry) => sum + entry.purged, 0);
      if (total > 0) this.#log.log('verbose', `Purged ${total} consumed change records (${done.map((entry) => `${entry.db}: ${entry.purged}`).join(', ')})`);
      for (const entry of purged) if ('error' in entry) this.#log.log('warn', `Purging change records failed: ${entry.error.message}`, errorFields(entry.error));
    } catch (error) {
      this.#log.log('warn', `Purging change records failed: ${(error as Error).message}`, errorFields(error));
    }
  }

  /** Schedules the retry; `unlogged` is a failure no run's line has said (with its retry) yet. */
  #fail(unlogged: { message: string; error: unknown; level: LogLevel } | undefined, report?: RunReport): void {
    this.#failures++;
    this.#retryAt = Date.now() + backoffMs(this.#failures, this.#settings.maxBackoffMs);
    this.#reach.watch(report);
    const stalled = report?.error?.code === 'CONNECTION_FAILED' || report?.error?.code === 'DB_INACTIVE';
    if (unlogged) {
      this.#log.log(unlogged.level, `Sync "${this.name}" ${unlogged.message}; ${retryNote(this.#failures, this.#settings.maxBackoffMs)}`, errorFields(unlogged.error));
    }
    void this.#control.daemons.setState(this.name, this.#settings.daemonId, stalled ? 'stalled' : 'failing', this.#failures, new Date(this.#retryAt))
      .catch(() => undefined);
    void this.#closeProbe();
  }

  /**
   * While a stalled sync's retry waits, test-connects the database it could not reach, every few seconds,
   * and brings the retry forward once it answers. Not awaited: the loop goes on serving kicks meanwhile.
   */
  #testReach(now: number): void {
    if (this.#reachTest) return;
    const db = this.#reach.due(now);
    const planned = db === undefined ? undefined : this.#lastPlan?.databases.find((entry) => entry.name === db);
    if (!planned) return;
    this.#reachTest = (async () => {
      const driver = this.#engine.registry.database(planned.spec.type);
      await driver.ping(planned.spec, { log: this.#log, label: `bucardo ${this.name}` });
      if (this.#failures === 0 || this.#stopping.signal.aborted) return;
      const waited = Math.max(0, Math.ceil((this.#retryAt - Date.now()) / 1000));
      this.#log.log('normal', `Sync "${this.name}": database "${planned.name}" answers again; retrying now rather than in ${waited} s`);
      this.#reach.clear();
      this.#retryAt = Date.now();
      this.#wake.wake();
    })().catch(() => undefined).finally(() => { this.#reachTest = undefined; });
  }

  /** Asks every source whether the sync's tables changed after its checkpoint (no NOTIFY involved). */
  async #hasChanges(): Promise<boolean> {
    let probe = await this.#openProbe();
    // `update sync S add|remove table` changes the tables to probe while the probe is open, `update db`
    // a source's connection (a probe left on a moved database's old server would say "changes" or "none"
    // about the wrong server for ever), and `update dbgroup` the sources: looked at once per lease round,
    // not on every probe.
    if (Date.now() - this.#herdCheckedAt >= HERD_CHECK_MS) {
      this.#herdCheckedAt = Date.now();
      const [herd, databases, groups] = await Promise.all([this.#control.catalog.herd(probe.plan.herd), this.#control.catalog.databases(), this.#control.catalog.dbgroups()]);
      const connectionChanged = sourcesOf(probe.plan).some((source) => {
        const row = databases.find((db) => db.name === source.name);
        return !row || JSON.stringify(specOf(row)) !== JSON.stringify(source.spec);
      });
      // a sync removed meanwhile is in no group: the daemon gives it up at its next round, not here
      const group = groups.find((candidate) => candidate.syncs.includes(this.name));
      const sourcesChanged = group !== undefined && JSON.stringify(group.members.filter((member) => member.role === 'source').map((member) => member.db)) !== JSON.stringify(sourcesOf(probe.plan).map((source) => source.name));
      if (connectionChanged || sourcesChanged || JSON.stringify(herd.tables) !== JSON.stringify(probe.plan.tables)) {
        await this.#closeProbe();
        probe = await this.#openProbe();
      }
    }
    // A pure fullcopy sync has no capture: it runs when kicked or when its checktime is due.
    if (isPureFullcopy(probe.plan)) return false;
    const checkpoints = this.#probeCheckpoints ??= await this.#control.catalog.checkpoints(this.name);
    // only the probes themselves are timed: opening the probe's sessions is slow once, not every time
    const probing = performance.now();
    try {
      for (const source of sourcesOf(probe.plan)) {
        const session = probe.sessions.get(source.name)!;
        const since = checkpoints.get(source.name);
        if (since === undefined) return true;
        // whether the sync records here is the last run's plan's (each run loads it): the probe's own plan is
        // kept until its tables or connections change, and would miss an `update table … makedelta=`; the
        // records it is about are made by runs, so the last run's plan is never behind them
        const records = recordsInto(this.#lastPlan ?? probe.plan, source.name);
        const args = { tables: probe.shapes, since, ...(records ? { sync: this.name } : {}), signal: this.#stopping.signal };
        const changed = await probeOn(source.name, async () => session.hasChanges ? session.hasChanges(args) : (await session.capture(args)).tables.size > 0);
        if (changed) return true;
      }
      return false;
    } finally {
      this.#lastProbeMs = performance.now() - probing;
    }
  }

  async #openProbe(): Promise<Probe> {
    if (this.#probe) return this.#probe;
    const plan = await loadSyncPlan(this.#control.catalog, this.name);
    const sessions = new Map<string, SourceSession>();
    try {
      for (const source of sourcesOf(plan)) {
        const driver = this.#engine.registry.database(source.spec.type);
        sessions.set(source.name, await probeOn(source.name, () => driver.source!.open(source.spec, { log: this.#log, label: `bucardo probe ${this.name}` })));
      }
      const first = sourcesOf(plan)[0]!.name;
      const shapes: TableShape[] = [];
      const described = await probeOn(first, () => describeAll(sessions.get(first)!, plan.tables, first));
      for (const [index, table] of plan.tables.entries()) {
        const shape = described[index];
        if (!shape) throw new Error(`table ${formatTable(table)} is missing on database ${first}`);
        shapes.push(shape);
      }
      this.#probe = { plan, shapes, sessions };
      return this.#probe;
    } catch (error) {
      await Promise.allSettled([...sessions.values()].map((session) => session.close()));
      throw error;
    }
  }

  async #closeProbe(): Promise<void> {
    const probe = this.#probe;
    this.#probe = undefined;
    this.#probeCheckpoints = undefined;
    if (probe) await Promise.allSettled([...probe.sessions.values()].map((session) => session.close()));
  }
}

/** The retry after `failures` failed attempts, as the failure's log line says it. */
function retryNote(failures: number, maxBackoffMs: number): string {
  return `retrying in ${(backoffMs(failures, maxBackoffMs) / 1000).toFixed(0)} s (attempt ${failures})`;
}
