/**
 * 3. Backlog apply: an update of every row of a large table on one source, applied to two targets by a
 * `bucardo kick` process; rows per second, and the peak memory (VmHWM) of that process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PgServer } from '../fixtures/pg-server.js';
import { bucardoBin, bucardoEnv } from '../helpers/cli.js';
import { assertConverged, withClient } from '../helpers/databases.js';
import { BenchWorld, since } from './bench-world.js';

export interface BacklogResult {
  readonly rows: number;
  readonly seconds: number;
  /** Rows applied per second, per target. */
  readonly rowsPerSecond: number;
  readonly peakRssMb: number;
}

/** What the kick's config sets (`partitionSize`, `refreshAbove`; unset: the defaults). */
export interface BacklogConfig {
  readonly partitionSize?: number;
  readonly refreshAbove?: number;
}

export async function backlogApply(server: PgServer, rows: number, config: BacklogConfig = {}): Promise<BacklogResult> {
  const world = new BenchWorld(server, 'backlog');
  try {
    const source = await world.database('bbig');
    await withClient(world.url(source), async (client) => {
      await client.query('CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL)');
      await client.query("INSERT INTO big SELECT i, 0, repeat('x', 60) FROM generate_series(1, $1::int) AS i", [rows]);
      await client.query('VACUUM ANALYZE big');
    });
    const targets = [await world.database('bbig', source), await world.database('bbig', source)];
    await world.addDatabases(['a', 'b', 'c'], [source, ...targets]);
    const bucardo = await world.bucardo();
    await bucardo.addTables(['big'], { herd: 'h' });
    await bucardo.addDbGroup('g', ['a:source', 'b:target', 'c:target']);
    await bucardo.addSync('s', { herd: 'h', dbs: 'g', autokick: 'false' });
    await withClient(world.url(source), (client) => client.query('UPDATE big SET v = v + 1'));
    const start = performance.now();
    const peakKb = await kickInChild(server, world.control, config);
    const seconds = since(start) / 1000;
    await assertConverged([source, ...targets].map((db) => world.url(db)), { big: 'id' });
    return { rows, seconds, rowsPerSecond: rows / seconds, peakRssMb: peakKb / 1024 };
  } finally {
    await world.close();
  }
}

/** Runs `bucardo kick s 0` in a child process; resolves with its peak resident memory in kB. */
function kickInChild(server: PgServer, control: string, settings: BacklogConfig): Promise<number> {
  // a config file of its own, removed when the kick ends
  const dir = Object.keys(settings).length === 0 ? undefined : mkdtempSync(path.join(os.tmpdir(), 'bucardo-bench-'));
  if (dir) writeFileSync(path.join(dir, 'bucardo.config.json'), JSON.stringify(settings));
  const config = dir ? ['--config', path.join(dir, 'bucardo.config.json')] : [];
  // BUCARDO_BENCH_LOG_LEVEL=debug: the kick's phase timings, printed when it ends
  const logLevel = process.env.BUCARDO_BENCH_LOG_LEVEL === 'debug' ? ['--log-level', 'debug'] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bucardoBin, ...config, ...logLevel, 'kick', 's', '0'], { env: { ...process.env, ...bucardoEnv(server, control) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let peak = 0;
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const sample = () => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match) peak = Math.max(peak, Number(match[1]));
      } catch {
        // the process has ended
      }
    };
    const timer = setInterval(sample, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (logLevel.length > 0) process.stderr.write(output);
      if (code === 0) resolve(peak);
      else reject(new Error(`bucardo kick exited with ${code}: ${output}`));
    });
  });
}
