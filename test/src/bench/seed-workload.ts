/** 1. The seed workload: pgbench on N sources, then one kick; time from kick to every database converged. */
import type { PgServer } from '../fixtures/pg-server.js';
import os from 'node:os';
import { bucardoEnv, runBucardo } from '../helpers/cli.js';
import { assertConverged } from '../helpers/databases.js';
import { workload } from '../helpers/workload/index.js';
import { BenchWorld, median, since } from './bench-world.js';
import type { SessionCache } from '@bucardo/core';
import type { PostgresOptions } from '@bucardo/plugin-postgres';

export interface SeedResult {
  readonly transactions: number;
  readonly sources: number;
  readonly kickToConvergedMs: number;
  readonly syncRunMs: number;
  readonly inserts: number;
  readonly deletes: number;
  readonly conflicts: number;
  /** A kick with nothing to do right after (fresh connections, as `bucardo kick` from a shell). */
  readonly emptyKickMs: number;
  /** The same as a `bucardo kick foobar 0` process, start to exit, as Bucardo's figure is: what a shell user waits. */
  readonly emptyKickProcessMs: number;
  /** A run with nothing to do on kept connections, as in the daemon. */
  readonly emptyRunMs: number;
}

const PGBENCH_TABLES = { pgbench_accounts: 'aid', pgbench_branches: 'bid', pgbench_tellers: 'tid' };

export async function seedWorkload(server: PgServer, transactions: number, sources: number, postgresOptions?: PostgresOptions): Promise<SeedResult> {
  const world = new BenchWorld(server, `seed${sources}`, postgresOptions);
  try {
    const first = await world.database('bseed');
    await workload.init(world.url(first), { scale: 1 });
    const dbs = [first];
    for (let i = 1; i <= sources; i++) dbs.push(await world.database('bseed', first));
    const names = dbs.map((_, index) => `t${index + 1}`);
    await world.addDatabases(names, dbs);
    const bucardo = await world.bucardo();
    await bucardo.addTables(Object.keys(PGBENCH_TABLES), { herd: 'therd' });
    await bucardo.addDbGroup('tgroup', names.map((name, index) => `${name}:${index < sources ? 'source' : 'target'}`));
    await bucardo.addSync('foobar', { herd: 'therd', dbs: 'tgroup', autokick: 'false' });
    await Promise.all(dbs.slice(0, sources).map((db) => workload.run(world.url(db), { transactions })));
    const start = performance.now();
    const result = await bucardo.kick('foobar', { wait: true });
    const kickToConvergedMs = since(start);
    if (result.status !== 'done') throw new Error(`seed kick ended ${result.status}`);
    await assertConverged(dbs.map((db) => world.url(db)), PGBENCH_TABLES);
    const emptyStart = performance.now();
    const empty = await bucardo.kick('foobar', { wait: true });
    const emptyKickMs = since(emptyStart);
    if (empty.status !== 'done' || empty.run.outcome !== 'empty') throw new Error('the kick after the seed run was not empty');
    // from a directory without a config file: the command's own cost, not that of loading a user's config
    const processStart = performance.now();
    const kicked = await runBucardo(['kick', 'foobar', '0'], { env: bucardoEnv(world.server, world.control), cwd: os.tmpdir() });
    const emptyKickProcessMs = since(processStart);
    if (kicked.code !== 0 || !kicked.stdout.includes('DONE!')) throw new Error(`bucardo kick foobar 0 exited with ${kicked.code}: ${kicked.stdout}${kicked.stderr}`);
    const cache: SessionCache = {};
    await bucardo.runSync('foobar', { cache });
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const runStart = performance.now();
      await bucardo.runSync('foobar', { cache });
      runs.push(since(runStart));
    }
    await cache.sessions?.close();
    return {
      transactions, sources, kickToConvergedMs, syncRunMs: result.run.endedAt.getTime() - result.run.startedAt.getTime(),
      inserts: result.run.inserts, deletes: result.run.deletes, conflicts: result.run.conflicts, emptyKickMs, emptyKickProcessMs, emptyRunMs: median(runs),
    };
  } finally {
    await world.close();
  }
}
