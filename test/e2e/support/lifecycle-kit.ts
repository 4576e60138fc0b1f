/**
 * Helpers for the table-lifecycle end-to-end tests (initial-copy*.test.ts, resumable-run.test.ts), on
 * top of DaemonWorld:
 *
 *  - `threeDatabaseWorld`: a DaemonWorld with databases `<tag>_A`, `_B`, `_C` and a `Children`, made before
 *    the describe's tests and removed after them;
 *  - `Children`: `bucardo …` processes started in the background that a test can SIGKILL half-way (a
 *    `kick S 0` in the middle of a copy); `killAll()` in afterAll kills whatever is still running.
 *  - `batchConfig`: a config file setting a small `batchSize` (and `partitionSize`), passed with `--config`.
 *  - `Writer`: a loop of small transactions on a source (updates, deletes, inserts of new keys) that runs
 *    while a copy or run goes on, and remembers every key it touched;
 *  - `openRun`, `throttleInserts`: the run in progress and its resume point; a target slowed down so that
 *    a run can be looked at and killed half-way;
 *  - `snapshotXmins` / `rewrittenSince`: which rows something wrote again since a point (their xmin
 *    changed), to show that committed batches or transactions were not applied twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { PgServer } from '../../src/fixtures/pg-server.js';
import { bucardoBin, bucardoEnv, type CliResult } from '../../src/helpers/cli.js';
import { DaemonWorld, sleep, waitFor, type Db } from './daemon-world.js';

export interface Spawned {
  readonly pid: number;
  readonly child: ChildProcess;
  /** What it printed so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves when it ended (the signal is set when it was killed). */
  readonly exited: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** What `threeDatabaseWorld` sets up; `kids` and the databases exist once its beforeAll has run. */
export interface ThreeDatabaseWorld {
  readonly world: DaemonWorld;
  kids: Children;
  a: Db;
  b: Db;
  c: Db;
}

/**
 * Registers (inside a describe) a beforeAll that installs a DaemonWorld named `tag` with databases
 * `<tag>_A`, `<tag>_B` and `<tag>_C`, and an afterAll that kills every child and removes it all. Registered
 * before the describe's own beforeAll, it runs first: that one can fill the databases.
 */
export function threeDatabaseWorld(server: PgServer, tag: string): ThreeDatabaseWorld {
  const setup = { world: new DaemonWorld(server, tag) } as ThreeDatabaseWorld;
  beforeAll(async () => {
    await setup.world.install();
    setup.kids = new Children(setup.world);
    setup.a = await setup.world.database(`${tag}_A`);
    setup.b = await setup.world.database(`${tag}_B`);
    setup.c = await setup.world.database(`${tag}_C`);
  });
  afterAll(async () => {
    await setup.kids?.killAll();
    await setup.world.dispose();
  });
  return setup;
}

/** `bucardo` processes run in the background, every one of them killed by `killAll()` if still running. */
export class Children {
  readonly #running = new Set<Spawned>();
  readonly #env: Record<string, string>;
  readonly #cwd: string;

  /** Commands run against `world`'s control database, in a directory of their own (no config found there). */
  constructor(world: DaemonWorld) {
    this.#env = { ...bucardoEnv(world.server, world.control), BUCARDO_PID_DIR: world.tempDir('kidpid') };
    this.#cwd = world.tempDir('kidcwd');
  }

  spawn(...args: string[]): Spawned {
    const child = spawn(process.execPath, [bucardoBin, ...args], {
      cwd: this.#cwd, env: { ...process.env, NO_COLOR: '1', ...this.#env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, timedOut: false }));
    });
    const spawned: Spawned = { pid: child.pid!, child, output: () => ({ stdout, stderr }), exited };
    this.#running.add(spawned);
    void exited.finally(() => this.#running.delete(spawned)).catch(() => undefined);
    return spawned;
  }

  /** SIGKILLs it and waits until it is gone. */
  async kill(spawned: Spawned): Promise<CliResult & { signal: NodeJS.Signals | null }> {
    if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGKILL');
    return spawned.exited;
  }

  /** Kills every child still running (afterAll, also after a failed test). */
  async killAll(): Promise<void> {
    await Promise.allSettled([...this.#running].map((spawned) => this.kill(spawned)));
  }
}

/** A run of a sync that has not ended (running, or interrupted): its id, live status and resume point. */
export interface OpenRun {
  readonly id: string;
  readonly status: string;
  readonly resume: { committed: number; until: Record<string, string>; partition?: number; partitions?: number; refreshed?: Array<{ schema: string; name: string }> } | null;
}

export async function openRun(world: DaemonWorld, sync: string): Promise<OpenRun | undefined> {
  return (await world.sql('SELECT id, status, resume FROM bucardo.syncrun WHERE sync = $1 AND ended IS NULL', [sync]))[0] as OpenRun | undefined;
}

/**
 * Makes every INSERT statement into `table` on `url` take a quarter of a second (a statement trigger), so
 * that a run is still going when a test looks at it or kills it, whatever the machine's speed. Returns
 * what removes it.
 */
export async function throttleInserts(world: DaemonWorld, url: string, table = 't'): Promise<() => Promise<void>> {
  await world.query(url, `CREATE OR REPLACE FUNCTION throttle() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.25); RETURN NULL; END $$;
    CREATE TRIGGER throttle AFTER INSERT ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION throttle()`);
  return async () => { await world.query(url, `DROP TRIGGER throttle ON ${table}`); };
}

/** Writes `{ "batchSize": N, …sizes }` as a config file in a temp dir of `world`, for `--config`. */
export function batchConfig(world: DaemonWorld, batchSize: number, sizes: { partitionSize?: number; refreshAbove?: number } = {}): string {
  const file = path.join(world.tempDir('config'), 'bucardo.config.json');
  writeFileSync(file, `${JSON.stringify({ batchSize, ...sizes })}\n`);
  return file;
}

export interface WriterOptions {
  /** Table with `id int PRIMARY KEY, v text`. */
  readonly table: string;
  /** Existing keys to update and delete are picked in [1, existing]. */
  readonly existing: number;
  /** New keys are inserted from here up. */
  readonly firstNewId: number;
  /** Pause between transactions. */
  readonly pauseMs?: number;
}

/**
 * Small transactions on one database until stopped: each updates two existing keys, deletes one and
 * inserts one new key. Every key it touched is remembered, so a test can tell rows written by the sync
 * because of these changes from rows that nothing should have rewritten.
 */
export class Writer {
  readonly touched = new Set<number>();
  transactions = 0;
  readonly #url: string;
  readonly #options: WriterOptions;
  #nextId: number;
  #seed = 12345;
  #stop = false;
  #loop: Promise<void> | undefined;
  #error: unknown;

  constructor(url: string, options: WriterOptions) {
    this.#url = url;
    this.#options = options;
    this.#nextId = options.firstNewId;
  }

  start(): this {
    this.#stop = false;
    // a failure is kept and thrown by stop() or committed(), never left as an unhandled rejection
    this.#loop ??= this.#run().catch((error: unknown) => { this.#error = error; });
    return this;
  }

  /** Stops after the transaction in progress; resolves once it is committed. */
  async stop(): Promise<void> {
    this.#stop = true;
    await this.#loop;
    this.#loop = undefined;
    if (this.#error) throw this.#error;
  }

  /** Waits until at least `n` transactions were committed in total. */
  async committed(n: number): Promise<void> {
    await waitFor(`${n} writer transactions`, async () => {
      if (this.#error) throw this.#error;
      return this.transactions >= n;
    }, 30_000, 20);
    if (this.#error) throw this.#error;
  }

  #random(): number {
    // a small LCG: the same keys on every run of the test
    this.#seed = (this.#seed * 1103515245 + 12345) % 2147483648;
    return 1 + (this.#seed % this.#options.existing);
  }

  async #run(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const table = this.#options.table;
      while (!this.#stop) {
        const [u1, u2, d] = [this.#random(), this.#random(), this.#random()];
        const fresh = this.#nextId++;
        await client.query('BEGIN');
        await client.query(`UPDATE ${table} SET v = 'w' || id || '.' || $2 WHERE id = ANY($1::int[])`, [[u1, u2], this.transactions]);
        await client.query(`DELETE FROM ${table} WHERE id = $1`, [d]);
        await client.query(`INSERT INTO ${table} (id, v) VALUES ($1::int, 'new' || $1::int)`, [fresh]);
        await client.query('COMMIT');
        for (const id of [u1, u2, d, fresh]) this.touched.add(id);
        this.transactions++;
        await sleep(this.#options.pauseMs ?? 5);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * Records the xmin of every row of `table` (with `id <= upTo`) in a table `_xmin_<label>` on the same
 * database (not part of any sync), so that rows rewritten later can be found in SQL, without reading
 * 100k-row tables into the test.
 */
export async function snapshotXmins(world: DaemonWorld, url: string, table: string, label: string, upTo = 2 ** 31 - 1): Promise<number> {
  await world.query(url, `DROP TABLE IF EXISTS _xmin_${label}`);
  await world.query(url, `CREATE TABLE _xmin_${label} AS SELECT id, xmin::text AS x FROM ${table} WHERE id <= $1`, [upTo]);
  return Number((await world.query(url, `SELECT count(*) AS n FROM _xmin_${label}`))[0]!.n);
}

export interface RewrittenOptions {
  /** Keys that are expected to be rewritten (a writer changed them): left out. */
  readonly except?: Iterable<number>;
  /** Only the rows whose xmin differs between snapshot `since` and this one: the rows written in between. */
  readonly onlyWrittenAfter?: string;
}

/**
 * The ids of the rows of snapshot `label` that were rewritten since (their xmin changed) or are gone,
 * at most 20, in id order. Empty when nothing wrote those rows again.
 */
export async function rewrittenSince(world: DaemonWorld, url: string, table: string, label: string, options: RewrittenOptions = {}): Promise<number[]> {
  const base = options.onlyWrittenAfter === undefined ? '' : `LEFT JOIN _xmin_${options.onlyWrittenAfter} p ON p.id = s.id`;
  const written = options.onlyWrittenAfter === undefined ? '' : 'AND (p.id IS NULL OR p.x <> s.x)';
  const rows = await world.query(url,
    `SELECT s.id FROM _xmin_${label} s ${base} LEFT JOIN ${table} t ON t.id = s.id
      WHERE (t.id IS NULL OR t.xmin::text <> s.x) ${written} AND s.id <> ALL($1::int[])
      ORDER BY s.id LIMIT 20`,
    [[...(options.except ?? [])]]);
  return rows.map((row) => Number(row.id));
}

/** How many rows snapshot `label` holds that are not in snapshot `before` or have another xmin there. */
export async function writtenBetween(world: DaemonWorld, url: string, before: string, label: string): Promise<number> {
  const rows = await world.query(url,
    `SELECT count(*) AS n FROM _xmin_${label} s LEFT JOIN _xmin_${before} p ON p.id = s.id WHERE p.id IS NULL OR p.x <> s.x`);
  return Number(rows[0]!.n);
}
