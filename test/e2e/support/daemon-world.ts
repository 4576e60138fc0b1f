/**
 * Shared set-up for the daemon end-to-end tests (daemon.test.ts, daemon-failover.test.ts): a control
 * database of the test's own, pairs of real databases (A source → B target, table t) with a sync over
 * each, the `bucardo` command run as a process, daemons started with their own --pid-dir and log
 * directory, and a small TCP proxy that makes one database unreachable without stopping the shared server.
 *
 * Every daemon a test starts is recorded (from `Starting Bucardo (PID n)` and from its pid file) and
 * `dispose()` stops it, killing it if it does not stop, before any database is dropped: no process
 * outlives the test file, even when a test fails half-way.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { Bucardo, processState } from '@bucardo/core';
import { standardPlugins } from '@bucardo/cli';
import type { PgServer } from '../../src/fixtures/pg-server.js';
import { bucardoEnv, runBucardo, runBucardoOnTerminal, type CliResult } from '../../src/helpers/cli.js';
import { createDatabase, dropDatabase, uniqueName } from '../../src/helpers/databases.js';
import { controlOn } from '../../src/helpers/connection-specs.js';

export const PID_FILE = 'bucardo.mcp.pid';
export const LOG_FILE = 'log.bucardo';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`);
    await sleep(intervalMs);
  }
}

/** True while process `pid` exists and is not a zombie (a killed daemon whose parent has not reaped it is gone). */
export function alive(pid: number): boolean {
  return processState(pid) === 'running';
}

/** True when `pid` is a `bucardo … __daemon` process using `pidDir` (so cleanup never signals anything else). */
function isOurDaemon(pid: number, pidDir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('__daemon') && argv.includes(pidDir);
  } catch {
    return alive(pid) && process.platform !== 'linux';
  }
}

/** The id a daemon registers under (Daemon's default: `pid@host`). */
export function daemonId(pid: number): string {
  return `${pid}@${os.hostname()}`;
}

/** A TCP proxy on 127.0.0.1 to the server: close() refuses new connections and cuts the open ones. */
export class TcpProxy {
  readonly #host: string;
  readonly #port: number;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  port = 0;

  constructor(targetHost: string, targetPort: number) {
    this.#host = targetHost;
    this.#port = targetPort;
  }

  get isOpen(): boolean {
    return this.#server !== undefined;
  }

  /** Listens (again) on the same port as before, or a free one the first time. */
  async open(): Promise<void> {
    if (this.#server) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.#port, this.#host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.#server = server;
  }

  /** The outage: nothing listens on the port any more and every connection through it is cut. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await closed;
  }
}

export interface Db {
  /** The name registered in the control database. */
  readonly name: string;
  /** The physical database name. */
  readonly dbname: string;
  readonly url: string;
}

export interface Pair {
  readonly sync: string;
  readonly a: Db;
  readonly b: Db;
}

/** One `bucardo start`ed daemon: its pid dir and log dir, and the commands that talk to it. */
export class DaemonHandle {
  readonly pidDir: string;
  readonly logDir: string;
  readonly #world: DaemonWorld;
  /** Variables added to (or, when undefined, removed from) the environment of this handle's commands and so of its daemon. */
  readonly #env: Record<string, string | undefined>;
  /** Every pid this handle ever started (cleanup signals only these, and only while they are our daemons). */
  readonly pids = new Set<number>();

  constructor(world: DaemonWorld, pidDir: string, logDir: string, env: Record<string, string | undefined> = {}) {
    this.#world = world;
    this.pidDir = pidDir;
    this.logDir = logDir;
    this.#env = env;
  }

  get pidFile(): string {
    return path.join(this.pidDir, PID_FILE);
  }

  get logFile(): string {
    return path.join(this.logDir, LOG_FILE);
  }

  /** The pid in the pid file, if any. */
  pid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** `bucardo --pid-dir DIR ARGS…` (commands other than start/restart get no log destination: theirs is not the daemon's log). */
  cli(...args: string[]): Promise<CliResult> {
    return this.#world.bucardoWith(this.#env, '--pid-dir', this.pidDir, ...args);
  }

  /** `bucardo --pid-dir DIR --log-destination LOGDIR start|restart …`; records the pid it reports. */
  async launch(verb: 'start' | 'restart', ...args: string[]): Promise<CliResult> {
    const result = await this.#world.bucardoWith(this.#env, '--pid-dir', this.pidDir, '--log-destination', this.logDir, verb, ...args);
    const started = /Starting Bucardo \(PID (\d+)\)/.exec(result.stdout);
    if (started) this.pids.add(Number(started[1]));
    const pid = this.pid();
    if (pid !== undefined) this.pids.add(pid);
    return result;
  }

  /** Starts the daemon, expects success, and returns its pid. */
  async start(...args: string[]): Promise<number> {
    const result = await this.launch('start', ...args);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const pid = this.pid();
    expect(pid).toBeDefined();
    return pid!;
  }

  /** Waits until the daemon has registered in the control database (its first round is done or under way). */
  async registered(pid: number): Promise<void> {
    await waitFor(`daemon ${pid} to register`, async () =>
      (await this.#world.sql('SELECT 1 FROM bucardo.daemon WHERE id = $1', [daemonId(pid)])).length > 0);
  }

  /** Stops every daemon this handle started: SIGCONT, SIGTERM, then SIGKILL after `graceMs`. */
  async kill(graceMs = 5_000): Promise<void> {
    const pid = this.pid();
    if (pid !== undefined) this.pids.add(pid);
    const ours = [...this.pids].filter((p) => alive(p) && isOurDaemon(p, this.pidDir));
    for (const p of ours) {
      try {
        process.kill(p, 'SIGCONT');
        process.kill(p, 'SIGTERM');
      } catch { /* gone meanwhile */ }
    }
    const deadline = Date.now() + graceMs;
    while (ours.some(alive) && Date.now() < deadline) await sleep(50);
    for (const p of ours.filter(alive)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch { /* gone meanwhile */ }
    }
    const killDeadline = Date.now() + 5_000;
    while (ours.some(alive) && Date.now() < killDeadline) await sleep(20);
  }
}

/** A control database, the databases and daemons a group of tests made, and how to reach them. */
export class DaemonWorld {
  readonly server: PgServer;
  /** Where the control database lives: the databases' server unless given (a server a test restarts). */
  readonly controlServer: PgServer;
  readonly control: string;
  readonly #prefix: string;
  readonly #dbnames: string[] = [];
  readonly #dirs: string[] = [];
  readonly #daemons: DaemonHandle[] = [];
  readonly #clients = new Map<string, Promise<pg.Client>>();
  readonly #proxies: TcpProxy[] = [];
  #api: Bucardo | undefined;
  /** Where commands run: a directory without a bucardo.config.ts, so the standard plugins are used. */
  #cwd: string | undefined;
  #env: Record<string, string> | undefined;

  /** Names only: nothing is made until install() (a describe block filtered out makes nothing to clean). */
  constructor(server: PgServer, prefix: string, controlServer: PgServer = server) {
    this.server = server;
    this.controlServer = controlServer;
    this.#prefix = prefix;
    this.control = uniqueName(`${prefix}_ctl`);
  }

  tempDir(kind: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), `bd-${this.#prefix}-${kind}-`));
    this.#dirs.push(dir);
    return dir;
  }

  bucardo(...args: string[]): Promise<CliResult> {
    return this.bucardoWith({}, ...args);
  }

  /** `bucardo ARGS…` with variables added to (or, set to undefined, removed from) the usual environment. */
  bucardoWith(env: Record<string, string | undefined>, ...args: string[]): Promise<CliResult> {
    if (!this.#env) throw new Error('install() first');
    return runBucardo(args, { env: { ...this.#env, ...env }, cwd: this.#cwd });
  }

  /** `bucardo ARGS…` on a terminal (what a user at one sees: stdout and stderr together, `\r\n` line ends). */
  bucardoOnTerminal(...args: string[]): Promise<CliResult> {
    if (!this.#env) throw new Error('install() first');
    return runBucardoOnTerminal(args, { env: this.#env, cwd: this.#cwd });
  }

  /** Runs a command and expects exit code 0. */
  async ok(...args: string[]): Promise<string> {
    const result = await this.bucardo(...args);
    expect(result.code, `bucardo ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
    return result.stdout;
  }

  /**
   * Creates the control database and installs Bucardo in it. Set-up (install, databases, tables, syncs)
   * goes through the API in this process, which is much faster than one `bucardo` process per step; the
   * commands under test are run as processes.
   */
  async install(): Promise<void> {
    this.#cwd = this.tempDir('cwd');
    // a default pid dir of our own, so that no command falls back to /var/run/bucardo
    this.#env = { ...bucardoEnv(this.controlServer, this.control), BUCARDO_PID_DIR: this.tempDir('pid') };
    await createDatabase(this.controlServer, this.control);
    this.#api = await Bucardo.open({
      plugins: standardPlugins(),
      control: controlOn(this.controlServer, this.control),
      logLevel: 'warn',
    });
    await this.#api.install();
  }

  /** Opens the API and the kept connections anew: after a test restarted a server, the old ones are broken. */
  async reconnect(): Promise<void> {
    await this.#api?.close().catch(() => undefined);
    this.#api = await Bucardo.open({ plugins: standardPlugins(), control: controlOn(this.controlServer, this.control), logLevel: 'warn' });
    for (const client of this.#clients.values()) await client.then((c) => c.end(), () => undefined).catch(() => undefined);
    this.#clients.clear();
  }

  get api(): Bucardo {
    if (!this.#api) throw new Error('install() first');
    return this.#api;
  }

  /** A daemon handle; `env` is added to the environment of its commands (and so of the daemon it starts). */
  daemon(env: Record<string, string | undefined> = {}): DaemonHandle {
    const handle = new DaemonHandle(this, this.tempDir('pid'), this.tempDir('log'), env);
    this.#daemons.push(handle);
    return handle;
  }

  proxy(): TcpProxy {
    const proxy = new TcpProxy(this.server.host, this.server.port);
    this.#proxies.push(proxy);
    return proxy;
  }

  /** A new database holding `t(id int primary key, v text)`, registered as `name` (through `proxy` when given). */
  async database(name: string, proxy?: TcpProxy): Promise<Db> {
    const dbname = uniqueName(`${this.#prefix}_${name}`);
    this.#dbnames.push(dbname);
    const url = await createDatabase(this.server, dbname);
    await this.query(url, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
    await this.api.addDatabase(name, {
      dbname, host: proxy ? '127.0.0.1' : this.server.host, port: String(proxy ? proxy.port : this.server.port), user: this.server.user,
      ...(this.server.password ? { pass: this.server.password } : {}),
    });
    return { name, dbname, url };
  }

  /** Databases `<sync>_A` (source) and `<sync>_B` (target) and sync `<sync>` over table t. */
  async pair(sync: string, options: { autokick?: boolean; proxyB?: TcpProxy } = {}): Promise<Pair> {
    const a = await this.database(`${sync}_A`);
    const b = await this.database(`${sync}_B`, options.proxyB);
    await this.api.addTables(['t'], { herd: `${sync}_h`, db: a.name });
    await this.api.addDbGroup(`${sync}_g`, [`${a.name}:source`, `${b.name}:target`]);
    await this.api.addSync(sync, { herd: `${sync}_h`, dbs: `${sync}_g`, ...(options.autokick === false ? { autokick: 'false' } : {}) });
    return { sync, a, b };
  }

  /** A query on a kept connection to `url` (one per database, opened on first use). */
  async query(url: string, text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> {
    let client = this.#clients.get(url);
    if (!client) {
      client = (async () => {
        const c = new pg.Client({ connectionString: url });
        c.on('error', () => undefined);
        await c.connect();
        return c;
      })();
      this.#clients.set(url, client);
    }
    return (await (await client).query(text, params)).rows;
  }

  /** A query on the control database. */
  sql(text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> {
    return this.query(this.controlServer.url(this.control), text, params);
  }

  /** A connection of its own (for a transaction held open); the caller ends it. */
  async connect(url: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** The ids in table t, in order. */
  async ids(db: Db): Promise<number[]> {
    return (await this.query(db.url, 'SELECT id FROM t ORDER BY id')).map((row) => Number(row.id));
  }

  async insert(db: Db, ...ids: number[]): Promise<void> {
    await this.query(db.url, "INSERT INTO t SELECT i, 'v' || i FROM unnest($1::int[]) AS i", [ids]);
  }

  /** Waits until `db` holds every id in `ids`. */
  async arrives(db: Db, ids: readonly number[], timeoutMs = 10_000): Promise<void> {
    await waitFor(`ids ${ids.join(',')} on ${db.name}`, async () => {
      const have = new Set(await this.ids(db));
      return ids.every((id) => have.has(id));
    }, timeoutMs, 50);
  }

  /** sync → [daemon, state, failures] from bucardo.sync_worker. */
  async workers(): Promise<Map<string, { daemon: string; state: string; failures: number }>> {
    const rows = await this.sql('SELECT sync, daemon, state, failures FROM bucardo.sync_worker ORDER BY sync');
    return new Map(rows.map((row) => [String(row.sync), { daemon: String(row.daemon), state: String(row.state), failures: Number(row.failures) }]));
  }

  /** Waits until each of `syncs` is run by `daemon` (by its pid) and idle. */
  async owned(pid: number, syncs: readonly string[], timeoutMs = 20_000): Promise<void> {
    await waitFor(`daemon ${pid} to own ${syncs.join(', ')}`, async () => {
      const workers = await this.workers();
      return syncs.every((sync) => workers.get(sync)?.daemon === daemonId(pid) && workers.get(sync)?.state === 'idle');
    }, timeoutMs);
  }

  /** sync → the application names of the control sessions holding its advisory lock (the truth of who runs it). */
  async lockHolders(): Promise<Map<string, string[]>> {
    const rows = await this.sql(
      `SELECT s.name AS sync, coalesce(array_agg(a.application_name ORDER BY a.application_name) FILTER (WHERE a.pid IS NOT NULL), '{}') AS holders
         FROM bucardo.sync s
         LEFT JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = hashtext('bucardo sync')::oid AND l.objid = hashtext(s.name)::oid
         LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        GROUP BY s.name ORDER BY s.name`,
    );
    return new Map(rows.map((row) => [String(row.sync), row.holders as string[]]));
  }

  /** Stops every daemon, closes proxies and connections, drops every database (control last) and removes the temp dirs. */
  async dispose(): Promise<void> {
    await Promise.allSettled(this.#daemons.map((daemon) => daemon.kill()));
    await Promise.allSettled(this.#proxies.map((proxy) => proxy.close()));
    await this.#api?.close().catch(() => undefined);
    for (const client of this.#clients.values()) await client.then((c) => c.end(), () => undefined).catch(() => undefined);
    this.#clients.clear();
    for (const name of this.#dbnames) await dropDatabase(this.server, name).catch(() => undefined);
    if (this.#env) await dropDatabase(this.controlServer, this.control);
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** The row of sync `name` in `bucardo status`'s table, as its cells. */
export function statusRow(output: string, name: string): string[] | undefined {
  const line = output.split('\n').find((l) => l.startsWith(` ${name} `) && l.includes('|'));
  return line?.split('|').map((cell) => cell.trim());
}

/** `label : value` lines of `bucardo status SYNC`, as a map. */
export function statusDetail(output: string): Map<string, string> {
  const entries = output.split('\n').filter((l) => l.includes(' :')).map((l) => {
    const at = l.indexOf(' :');
    return [l.slice(0, at).trim(), l.slice(at + 2).trim()] as [string, string];
  });
  return new Map(entries);
}
