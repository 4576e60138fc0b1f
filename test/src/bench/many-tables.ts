/**
 * 6. A sync of many tables (not in the list; what a schema of hundreds of tables costs per run):
 * two sources and a target, one table changed now and then, the rest quiet. Runs on kept connections
 * (the daemon) and kicks that open new ones (the CLI).
 */
import type { SessionCache } from '@bucardo/core';
import type { PgServer } from '../fixtures/pg-server.js';
import { withClient } from '../helpers/databases.js';
import { BenchWorld, median, since } from './bench-world.js';

export interface ManyTablesResult {
  readonly tables: number;
  /** A run with nothing to do on kept connections. */
  readonly emptyRunMs: number;
  /** A run that carries one new row of one table, on kept connections. */
  readonly oneRowRunMs: number;
  /** A kick with nothing to do that opens its connections and checks every table on every database. */
  readonly emptyKickMs: number;
}

export async function manyTables(server: PgServer, tables: number): Promise<ManyTablesResult> {
  const world = new BenchWorld(server, `many${tables}`);
  try {
    const first = await world.database('bmany');
    await withClient(world.url(first), (client) => client.query(`DO $$ BEGIN
      FOR i IN 0..${tables - 1} LOOP EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, v text)', i); END LOOP; END $$`));
    const dbs = [first, await world.database('bmany', first), await world.database('bmany', first)];
    await world.addDatabases(['a', 'b', 't'], dbs);
    const bucardo = await world.bucardo();
    await bucardo.addTables(Array.from({ length: tables }, (_, i) => `t${i}`), { herd: 'h' });
    await bucardo.addDbGroup('g', ['a:source', 'b:source', 't:target']);
    await bucardo.addSync('s', { herd: 'h', dbs: 'g', autokick: 'false' });
    const cache: SessionCache = {};
    await bucardo.runSync('s', { cache });
    const empty: number[] = [];
    const oneRow: number[] = [];
    for (let i = 0; i < 5; i++) {
      let start = performance.now();
      await bucardo.runSync('s', { cache });
      empty.push(since(start));
      await withClient(world.url(first), (client) => client.query(`INSERT INTO t${(i * 37) % tables} VALUES (${i}, 'x')`));
      start = performance.now();
      const run = await bucardo.runSync('s', { cache });
      oneRow.push(since(start));
      if (run.inserts !== 1) throw new Error(`the run after one insert copied ${run.inserts} rows, not 1`);
    }
    await cache.sessions?.close();
    const start = performance.now();
    const kick = await bucardo.kick('s', { wait: true });
    const emptyKickMs = since(start);
    if (kick.status !== 'done' || kick.run.outcome !== 'empty') throw new Error('the kick over many tables was not empty');
    return { tables, emptyRunMs: median(empty), oneRowRunMs: median(oneRow), emptyKickMs };
  } finally {
    await world.close();
  }
}
