/**
 * 2. Capture overhead: pgbench transactions per second on a source with capture installed, as a ratio to
 * the same database without it, measured alternately in one run. Measured twice by the bench: with two
 * clients on the throwaway server (fsync off: CPU-bound, where every trigger microsecond shows), and with
 * one client on a durable server (fsync on), the way the peer script measures Bucardo's triggers.
 */
import type { PgServer } from '../fixtures/pg-server.js';
import { workload } from '../helpers/workload/index.js';
import { BenchWorld, median } from './bench-world.js';

export interface CaptureOverheadResult {
  readonly tpsWithout: number;
  readonly tpsWith: number;
  /** tpsWith / tpsWithout: 1 means free; 0.9 means 10 % slower. */
  readonly ratio: number;
}

export async function captureOverhead(server: PgServer, transactions: number, clients: number, rounds = 5): Promise<CaptureOverheadResult> {
  const world = new BenchWorld(server, 'capture');
  try {
    const plain = await world.database('bplain');
    await workload.init(world.url(plain), { scale: 1 });
    const captured = await world.database('bcapt', plain);
    const peer = await world.database('bpeer', plain);
    await world.addDatabases(['a', 'b'], [captured, peer]);
    const bucardo = await world.bucardo();
    await bucardo.addTables(['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers'], { herd: 'h' });
    await bucardo.addDbGroup('g', ['a:source', 'b:target']);
    await bucardo.addSync('s', { herd: 'h', dbs: 'g', autokick: 'false' });
    const without: number[] = [];
    const withCapture: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const a = await workload.run(world.url(plain), { transactions, clients });
      without.push(a.transactions / a.seconds);
      const b = await workload.run(world.url(captured), { transactions, clients });
      withCapture.push(b.transactions / b.seconds);
    }
    const tpsWithout = median(without);
    const tpsWith = median(withCapture);
    return { tpsWithout, tpsWith, ratio: tpsWith / tpsWithout };
  } finally {
    await world.close();
  }
}
