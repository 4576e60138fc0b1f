/**
 * 4. Autokick latency: a daemon runs an autokick sync while a writer commits a row every few
 * milliseconds on the source; for each row, the time from its commit to its appearing on the target.
 */
import type { PgServer } from '../fixtures/pg-server.js';
import { withClient } from '../helpers/databases.js';
import { BenchWorld, percentile } from './bench-world.js';

export interface LatencyResult {
  readonly rows: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export async function autokickLatency(server: PgServer, seconds: number, intervalMs = 20): Promise<LatencyResult> {
  const world = new BenchWorld(server, 'latency');
  const stop = new AbortController();
  try {
    const source = await world.database('blat');
    await withClient(world.url(source), (client) => client.query('CREATE TABLE ping (id int PRIMARY KEY, at timestamptz NOT NULL)'));
    const target = await world.database('blat', source);
    await world.addDatabases(['a', 'b'], [source, target]);
    const bucardo = await world.bucardo();
    await bucardo.addTables(['ping'], { herd: 'h' });
    await bucardo.addDbGroup('g', ['a:source', 'b:target']);
    await bucardo.addSync('s', { herd: 'h', dbs: 'g' });
    const daemon = bucardo.createDaemon({ id: 'bench-daemon' });
    const running = daemon.run(stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let it take the sync
    const committed = new Map<number, number>();
    const seen = new Map<number, number>();
    const deadline = performance.now() + seconds * 1000;
    const writer = withClient(world.url(source), async (client) => {
      for (let id = 1; performance.now() < deadline; id++) {
        await client.query('INSERT INTO ping VALUES ($1, clock_timestamp())', [id]);
        committed.set(id, performance.now());
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    });
    const watcher = withClient(world.url(target), async (client) => {
      let last = 0;
      while (performance.now() < deadline + 5000 && (seen.size < committed.size || performance.now() < deadline)) {
        const result = await client.query<{ id: number }>('SELECT id FROM ping WHERE id > $1 ORDER BY id', [last]);
        const now = performance.now();
        for (const row of result.rows) {
          seen.set(row.id, now);
          last = Math.max(last, row.id);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    await Promise.all([writer, watcher]);
    stop.abort();
    await running;
    const latencies = [...committed].filter(([id]) => seen.has(id)).map(([id, at]) => seen.get(id)! - at);
    if (latencies.length < committed.size) throw new Error(`${committed.size - latencies.length} rows never arrived`);
    return { rows: latencies.length, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), maxMs: Math.max(...latencies) };
  } finally {
    stop.abort();
    await world.close();
  }
}
