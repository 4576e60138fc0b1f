import { hostname } from 'node:os';
import { isBucardoError, toBucardoError, type BucardoError, type Logger } from '@bucardo/plugin-sdk';
import type { SyncRow } from '../control/catalog-rows.js';
import type { ControlTarget } from '../control/control-connection.js';
import { ControlSession } from '../control/control-session.js';
import { Engine } from '../engine.js';
import { errorFields } from '../logging.js';
import type { RunSizes } from '../run/run-sync.js';
import { ControlListener } from './control-listener.js';
import { DEFAULT_LEASE_MS } from './daemon-liveness.js';
import { OutageLog } from './outage-log.js';
import { SyncWorker, type WorkerSettings } from './sync-worker.js';
import { WakeSignal } from './wake-signal.js';

export interface DaemonOptions {
  /** Unique per daemon, e.g. `1234@host`. */
  readonly id: string;
  readonly reason?: string;
  readonly sizes: RunSizes;
  /** How often autokick syncs are probed. Default 250 ms. */
  readonly pollMs?: number;
  /** How often ownership, heartbeat and kicks are looked at (recorded: a few rounds without a heartbeat and the daemon counts as not responding). Default 1000 ms. */
  readonly leaseMs?: number;
  /** The longest wait between retries of a failing sync. Default 30 s. */
  readonly maxBackoffMs?: number;
  /** How often a sync's consumed change records are purged after good runs. Default 60 s. */
  readonly purgeEveryMs?: number;
}

/** What a reload gives the daemon: the new engine, and the new config's run sizes (the running ones kept when absent). */
export interface DaemonReload {
  readonly engine: Engine;
  readonly sizes?: RunSizes;
}

/**
 * A Bucardo daemon. Several may share one control database, on one machine or several: each active sync
 * is run by the daemon that holds its advisory lock in the control database. A lock lives as long as its
 * holder's connection, so when a daemon dies (even by SIGKILL) its locks are released at once and another
 * daemon takes its syncs at its next round (within `leaseMs`).
 */
export class Daemon {
  #engine: Engine;
  readonly #target: ControlTarget;
  readonly #options: Required<Omit<DaemonOptions, 'reason'>> & { reason?: string };
  readonly #workers = new Map<string, SyncWorker>();
  /**
   * Workers given up while a run of theirs finishes, and when they are done. Their syncs are not taken
   * again until then: the sync's lock is still held by this daemon's session, where taking it again
   * would succeed (advisory locks nest) and let two workers run the sync at once.
   */
  readonly #leaving = new Map<string, { worker: SyncWorker; done: Promise<void> }>();
  #sizes: RunSizes;
  /** Set when the control database refuses this daemon for good (no schema, or an older one): it stops. */
  #refused: BucardoError | undefined;
  readonly #wake = new WakeSignal();
  #log: Logger;
  #control: ControlSession | undefined;
  #reloading: Promise<void> = Promise.resolve();
  /** Workers whose runs in progress the daemon, stopping, waits for. */
  readonly #draining = new Set<SyncWorker>();
  /** Set by `abortRuns()`: the runs in progress are stopped rather than waited for. */
  #abortingRuns = false;

  constructor(engine: Engine, target: ControlTarget, options: DaemonOptions) {
    this.#engine = engine;
    this.#target = target;
    this.#options = { pollMs: 250, leaseMs: DEFAULT_LEASE_MS, maxBackoffMs: 30_000, purgeEveryMs: 60_000, ...options };
    this.#sizes = options.sizes;
    this.#log = engine.log.child({ role: 'daemon' });
  }

  /**
   * Switches to a new engine (re-read config and plugins) and, when given, new run sizes without dropping
   * work: runs in progress finish on the old ones, the next runs use the new ones.
   */
  reload(engine: Engine, sizes?: RunSizes): void {
    this.#engine = engine;
    if (sizes) this.#sizes = sizes;
    this.#log = engine.log.child({ role: 'daemon' });
    for (const worker of this.#workers.values()) worker.useEngine(engine, this.#sizes);
    this.#log.log('terse', 'Reloaded the configuration and plugins');
    this.#wake.wake();
  }

  /**
   * Reloads with the engine `load` builds, or keeps the running one when it throws, and answers the
   * reload requests waiting in the control database either way (`bucardo reload` waits for that answer).
   * Reloads run one at a time; the requests are read before loading, so one made meanwhile gets the
   * answer of the reload its own signal starts, which reads the config after it.
   */
  reloadFrom(load: () => Promise<Engine | DaemonReload>): Promise<void> {
    const next = this.#reloading.then(() => this.#reloadNow(load));
    this.#reloading = next;
    return next;
  }

  async #reloadNow(load: () => Promise<Engine | DaemonReload>): Promise<void> {
    const requests = await this.#reloadRequests();
    let refusal: Record<string, unknown> | undefined;
    try {
      const loaded = await load();
      if (loaded instanceof Engine) this.reload(loaded);
      else this.reload(loaded.engine, loaded.sizes);
    } catch (error) {
      this.#log.log('warn', `Reload failed, keeping the running configuration: ${(error as Error).message}`, errorFields(error));
      refusal = toBucardoError(error, 'DAEMON_FAILED').toJSON();
    }
    if (requests) await this.#answerReloads(requests, refusal);
  }

  /** Undefined when the control database cannot be read: nobody can then be waiting for an answer there. */
  async #reloadRequests(): Promise<{ control: ControlSession; ids: string[] } | undefined> {
    let control: ControlSession | undefined;
    try {
      control = await ControlSession.open(this.#target, `bucardo daemon ${this.#options.id} reload`);
      return { control, ids: await control.daemons.pendingReloads(this.#options.id) };
    } catch (error) {
      await control?.close();
      this.#log.log('warn', `Cannot read the reload requests: ${(error as Error).message}`);
      return undefined;
    }
  }

  async #answerReloads(requests: { control: ControlSession; ids: string[] }, refusal: Record<string, unknown> | undefined): Promise<void> {
    try {
      await requests.control.daemons.answerReloads(requests.ids, refusal);
    } catch (error) {
      this.#log.log('warn', `Cannot answer the reload requests: ${(error as Error).message}`);
    } finally {
      await requests.control.close();
    }
  }

  /**
   * Runs until `signal` aborts, then lets runs in progress finish, gives up its syncs and returns. Rejects
   * with CONTROL_NOT_INSTALLED when the control database has no schema or an older one than this version.
   */
  async run(signal: AbortSignal): Promise<void> {
    const listener = new ControlListener(this.#target, this.#log, (channel, payload) => this.#onNotify(channel, payload));
    const outage = new OutageLog();
    this.#log.log('terse', `Daemon ${this.#options.id} started${this.#options.reason ? ` (reason: ${this.#options.reason})` : ''}`);
    try {
      while (!signal.aborted) {
        try {
          await listener.ensure();
          await this.#round();
          const back = outage.succeeded();
          if (back) this.#log.log('terse', back);
        } catch (error) {
          if (this.#refused) {
            this.#log.log('warn', `Cannot register in the control database, stopping: ${this.#refused.message}`, errorFields(this.#refused));
            throw this.#refused;
          }
          const line = outage.failed((error as Error).message);
          if (line) this.#log.log('warn', line, errorFields(error));
          if (this.#control?.broken) await this.#dropControl();
        }
        await this.#wake.sleep(this.#options.leaseMs, signal);
      }
    } finally {
      await this.#stopAll(false);
      await this.#unregister();
      await listener.close();
      this.#log.log('terse', `Daemon ${this.#options.id} stopped`);
      await this.#engine.log.flush();
    }
  }

  /** One round: heartbeat, give up syncs that should not run, take free ones, pass on kicks. */
  async #round(): Promise<void> {
    const control = await this.#ensureControl();
    await control.daemons.heartbeat(this.#options.id);
    const syncs = new Map((await control.catalog.syncs()).map((sync) => [sync.name, sync]));
    for (const [name, worker] of this.#workers) {
      if (syncs.get(name)?.status !== 'active') {
        this.#log.log('normal', `Giving up sync "${name}" (${syncs.get(name)?.status ?? 'removed'})`);
        this.#workers.delete(name);
        this.#giveUp(control, worker);
      }
    }
    for (const sync of syncs.values()) {
      if (sync.status !== 'active' || this.#workers.has(sync.name) || this.#leaving.has(sync.name)) continue;
      if (await control.tryLockSync(sync.name)) await this.#take(control, sync);
    }
    const kicked = await control.daemons.pendingKicks();
    for (const name of kicked) this.#workers.get(name)?.kick();
    // at terse, as Bucardo logs them: an operator's mark (a deploy, a maintenance window) in every log
    for (const { message, sent, sender } of await control.daemons.takeMessages()) {
      this.#log.log('terse', `MESSAGE (${sent.toISOString()}, from ${sender}): ${message}`);
    }
  }

  /**
   * Stops a worker without waiting for its run in progress, which may take long (blocked on a lock, a big
   * backlog): rounds, and with them the heartbeat and the other syncs, go on meanwhile. The sync's lock is
   * let go on the session that took it once the run is over; a broken session has lost it already.
   */
  #giveUp(control: ControlSession, worker: SyncWorker): void {
    const done = (async () => {
      await worker.stop(false);
      if (control.broken) return;
      await control.unlockSync(worker.name);
      await control.daemons.release(worker.name, this.#options.id).catch(() => undefined);
    })().catch((error: unknown) => {
      this.#log.log('warn', `Giving up sync "${worker.name}" failed: ${(error as Error).message}`, errorFields(error));
    }).finally(() => {
      this.#leaving.delete(worker.name);
      this.#wake.wake();
    });
    this.#leaving.set(worker.name, { worker, done });
  }

  async #take(control: ControlSession, sync: SyncRow): Promise<void> {
    await control.daemons.claim(sync.name, this.#options.id);
    const settings: WorkerSettings = {
      daemonId: this.#options.id, sizes: this.#sizes, pollMs: this.#options.pollMs, maxBackoffMs: this.#options.maxBackoffMs,
      purgeEveryMs: this.#options.purgeEveryMs,
    };
    const worker = new SyncWorker(sync.name, this.#engine, control, settings, this.#log);
    this.#workers.set(sync.name, worker);
    this.#log.log('normal', `Running sync "${sync.name}"`);
    worker.start();
    // A sync just taken may have changes that nobody ran while it had no daemon.
    worker.kick(true);
  }

  #onNotify(channel: string, payload: string): void {
    // every notification at debug, as Bucardo logs every NOTIFY it receives
    if (channel === 'bucardo_kick') {
      this.#log.log('debug', `Received a kick of sync "${payload}" (NOTIFY ${channel})${this.#workers.has(payload) ? '' : ': not a sync this daemon runs'}`, { sync: payload });
      this.#workers.get(payload)?.kick();
    } else {
      this.#log.log('debug', `Received NOTIFY ${channel}${payload ? ` "${payload}"` : ''}`);
    }
    this.#wake.wake();
  }

  async #ensureControl(): Promise<ControlSession> {
    if (this.#control && !this.#control.broken) return this.#control;
    if (this.#control) await this.#dropControl();
    const control = await ControlSession.open(this.#target, `bucardo daemon ${this.#options.id}`);
    try {
      // before registering: a schema older than this version fails a daemon on every round, not only here
      await control.checkSchema();
      await control.daemons.register(this.#options.id, hostname(), process.pid, this.#options.reason, this.#options.leaseMs);
    } catch (error) {
      await control.close();
      if (isBucardoError(error) && error.code === 'CONTROL_NOT_INSTALLED') this.#refused = error;
      throw error;
    }
    this.#control = control;
    return control;
  }

  /** The control connection is gone, and with it every lock: stop at once, another daemon may take over. */
  async #dropControl(): Promise<void> {
    this.#log.log('warn', 'Lost the control database connection: stopping every sync until it is back');
    await this.#stopAll(true);
    await this.#control?.close();
    this.#control = undefined;
  }

  /**
   * Stops the runs in progress at their next statement, rolled back, rather than waiting for them: a
   * second `bucardo stop` while an initial copy of hours (or a run blocked on a lock) is what the first
   * one waits for. What they committed stays, and the next run resumes from there.
   */
  abortRuns(): void {
    this.#abortingRuns = true;
    const leaving = [...this.#leaving.values()].map(({ worker }) => worker);
    for (const worker of [...this.#workers.values(), ...this.#draining, ...leaving]) void worker.stop(true);
  }

  /** Stops every worker, those already given up included, and waits until their runs are over. */
  async #stopAll(abortRuns: boolean): Promise<void> {
    const workers = [...this.#workers.values()];
    this.#workers.clear();
    const leaving = [...this.#leaving.values()];
    const abort = abortRuns || this.#abortingRuns;
    for (const worker of workers) this.#draining.add(worker);
    try {
      await Promise.all([
        ...workers.map((worker) => worker.stop(abort)),
        ...leaving.map(async ({ worker, done }) => {
          if (abort) await worker.stop(true);
          await done;
        }),
      ]);
    } finally {
      for (const worker of workers) this.#draining.delete(worker);
    }
  }

  async #unregister(): Promise<void> {
    const control = this.#control;
    this.#control = undefined;
    if (!control) return;
    await control.daemons.unregister(this.#options.id).catch(() => undefined);
    await control.close();
  }
}

export function defaultDaemonId(): string {
  return daemonIdOf(process.pid);
}

/** The default id of the daemon with process id `pid` on this machine (`pid@host`). */
export function daemonIdOf(pid: number): string {
  return `${pid}@${hostname()}`;
}
