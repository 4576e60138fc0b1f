/**
 * 2. Capture overhead: pgbench transactions per second on a source with capture installed, as a ratio to
 * the same database without it, measured alternately in one run, each round in a rotated order. Measured
 * twice by the bench: with two clients on the throwaway server (fsync off: CPU-bound, where every trigger
 * microsecond shows), and with one client on a durable server (fsync on), the way the peer script
 * measures Bucardo's triggers. With `peers` (Bucardo's capture, restored from dumps), those databases
 * take their turn in the same rounds.
 */
import type { PgServer } from '../fixtures/pg-server.js';
import { workload } from '../helpers/workload/index.js';
import { BenchWorld, median } from './bench-world.js';
import type { PeerCapture } from './bucardo-peer-capture.js';
import { prepareCaptureDatabases } from './capture-databases.js';

export interface CaptureOverheadResult {
  readonly tpsWithout: number;
  readonly tpsWith: number;
  /** tpsWith / tpsWithout: 1 means free; 0.9 means 10 % slower. */
  readonly ratio: number;
  /** Each peer capture's median tps, and its ratio to the same tpsWithout. */
  readonly peers: ReadonlyArray<{ readonly name: string; readonly tps: number; readonly ratio: number }>;
}

export async function captureOverhead(server: PgServer, transactions: number, clients: number, peers: readonly PeerCapture[] = [], rounds = 5): Promise<CaptureOverheadResult> {
  const world = new BenchWorld(server, 'capture');
  try {
    const { plain, captured, peers: peerDbs } = await prepareCaptureDatabases(world, peers);
    const measured = [plain, captured, ...peerDbs];
    const tps = measured.map((): number[] => []);
    for (let round = 0; round < rounds; round++) {
      // each round starts one database later: a run that leaves work behind (autovacuum, a checkpoint)
      // then slows a different database each round, not always the one measured after it
      for (let step = 0; step < measured.length; step++) {
        const index = (round + step) % measured.length;
        const run = await workload.run(world.url(measured[index]!), { transactions, clients });
        tps[index]!.push(run.transactions / run.seconds);
      }
    }
    const [tpsWithout, tpsWith, ...tpsPeers] = tps.map(median) as [number, number, ...number[]];
    return {
      tpsWithout, tpsWith, ratio: tpsWith / tpsWithout,
      peers: peers.map((capture, index) => ({ name: capture.name, tps: tpsPeers[index]!, ratio: tpsPeers[index]! / tpsWithout })),
    };
  } finally {
    await world.close();
  }
}
