/**
 * The databases the capture scenarios compare, on one server: pgbench's tables (scale 1) without capture,
 * a copy with ours installed (a sync of its three keyed tables to a second copy), and one database per
 * peer capture restored from its dump.
 */
import { workload } from '../helpers/workload/index.js';
import type { BenchWorld } from './bench-world.js';
import { restorePeerCapture, type PeerCapture } from './bucardo-peer-capture.js';

export interface CaptureDatabases {
  readonly plain: string;
  readonly captured: string;
  /** In the order of the peer captures given. */
  readonly peers: readonly string[];
}

export async function prepareCaptureDatabases(world: BenchWorld, peers: readonly PeerCapture[]): Promise<CaptureDatabases> {
  const plain = await world.database('bplain');
  await workload.init(world.url(plain), { scale: 1 });
  const captured = await world.database('bcapt', plain);
  const receiver = await world.database('bpeer', plain);
  await world.addDatabases(['a', 'b'], [captured, receiver]);
  const bucardo = await world.bucardo();
  await bucardo.addTables(['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers'], { herd: 'h' });
  await bucardo.addDbGroup('g', ['a:source', 'b:target']);
  await bucardo.addSync('s', { herd: 'h', dbs: 'g', autokick: 'false' });
  const peerDbs: string[] = [];
  for (const capture of peers) {
    const db = await world.database('bbucardo');
    await restorePeerCapture(world.server, db, capture);
    peerDbs.push(db);
  }
  return { plain, captured, peers: peerDbs };
}
