/**
 * 2b. Capture overhead in instructions: what one TPC-B transaction costs the server, counted by valgrind's
 * callgrind. It counts instructions, not seconds, so the figure repeats to a few parts in 100,000 on a busy
 * machine, where tps ratios move by several points from run to run. The databases (the same as the tps
 * scenario's) are prepared on an embedded cluster, which is then halted; each database runs a fixed
 * script of N and of 2N transactions in `postgres --single` under callgrind, each time on a fresh copy of
 * the cluster; the difference divided by N is one transaction without the start-up. Single-user mode has
 * no client, network or commit wait: the figure is the backend's work, which is what a trigger adds to.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embeddedPostgresBinary } from '../fixtures/embedded-binaries.js';
import { startEmbeddedPostgres } from '../fixtures/embedded-postgres.js';
import { findProgram, runProgram } from '../helpers/process.js';
import { tpcbDraws, tpcbStatements } from '../helpers/workload/tpcb.js';
import { BenchWorld } from './bench-world.js';
import type { PeerCapture } from './bucardo-peer-capture.js';
import { prepareCaptureDatabases } from './capture-databases.js';

export interface CaptureInstructionsResult {
  /** Instructions per transaction without capture. */
  readonly plain: number;
  /** With ours. */
  readonly captured: number;
  /** With each peer capture, in the order given. */
  readonly peers: ReadonlyArray<{ readonly name: string; readonly instructions: number }>;
  /** The other side of the echo guard: instructions per row a sync writes (`DELETE` + `COPY`). */
  readonly applyPerRow: ApplyInstructions;
}

export interface ApplyInstructions {
  /** Into a database without capture. */
  readonly withoutCapture: number;
  /** Into a source, as the sync writes by default (`bucardo.replicating = on`; the triggers' `WHEN` runs). */
  readonly intoSource: number;
  /** Into a source with `applyAsReplica` (`session_replication_role = replica`; no trigger fires). */
  readonly intoSourceAsReplica: number;
  /** Read from a source: the fetch of the row images of changed keys (`COPY (SELECT … WHERE key = ANY …)`). */
  readonly fetched: number;
  /** Into a database without capture, the table emptied first, as `refreshAbove` writes it (`TRUNCATE` + `COPY`). */
  readonly copiedWhole: number;
}

export async function captureInstructions(peers: readonly PeerCapture[], transactions = 300, applyRows = 10_000): Promise<CaptureInstructionsResult> {
  const valgrind = findProgram('valgrind');
  if (!valgrind) throw new Error('The instructions scenario needs valgrind (Debian package valgrind)');
  const server = await startEmbeddedPostgres();
  try {
    const world = new BenchWorld(server, 'instr');
    const dbs = await prepareCaptureDatabases(world, peers);
    await world.disconnect();
    await server.halt();
    const postgres = await embeddedPostgresBinary();
    // one unit's work: the count of 2n units less the count of n, over n, so that start-up cancels out
    const perUnit = async (db: string, n: number, script: (count: number) => string): Promise<number> => {
      const once = (count: number) => countInstructions(valgrind, postgres, server.dataDir, db, script(count));
      return (await once(2 * n) - await once(n)) / n;
    };
    const perTransaction = (db: string) => perUnit(db, transactions, tpcbScript);
    const plain = await perTransaction(dbs.plain);
    const captured = await perTransaction(dbs.captured);
    const counted: Array<{ name: string; instructions: number }> = [];
    for (const [index, capture] of peers.entries()) counted.push({ name: capture.name, instructions: await perTransaction(dbs.peers[index]!) });
    const rows = accountRows();
    try {
      const perRow = (db: string, guard: ApplyGuard) => perUnit(db, applyRows, (count) => applyScript(count, guard, rows.file(count)));
      const applyPerRow = {
        withoutCapture: await perRow(dbs.plain, 'setting'),
        intoSource: await perRow(dbs.captured, 'setting'),
        intoSourceAsReplica: await perRow(dbs.captured, 'replica'),
        fetched: await perUnit(dbs.plain, applyRows, fetchScript),
        copiedWhole: await perUnit(dbs.plain, applyRows, (count) => refreshScript(rows.file(count))),
      };
      return { plain, captured, peers: counted, applyPerRow };
    } finally {
      rows.remove();
    }
  } finally {
    await server.stop();
  }
}

/** How an apply transaction keeps the capture triggers quiet: the default setting, or `applyAsReplica`. */
export type ApplyGuard = 'setting' | 'replica';

/**
 * What the postgres target runs for one batch of `rows` accounts that exist on the database: the guard,
 * `DELETE` of their keys, `COPY` of their new images (from `file`, which the server reads itself). The
 * `DELETE` is the target's (plugins/postgres/src/key-sql.ts), its keys bound as a parameter of a
 * prepared statement, planned with their values as the protocol's unnamed statement is.
 */
export function applyScript(rows: number, guard: ApplyGuard, file: string): string {
  const keys = Array.from({ length: rows }, (_, i) => `"${i + 1}"`).join(',');
  return `${[
    'BEGIN',
    guard === 'replica' ? 'SET LOCAL session_replication_role = replica' : "SELECT set_config('bucardo.replicating', 'on', true)",
    'PREPARE bucardo_delete(text[]) AS DELETE FROM ONLY pgbench_accounts WHERE aid OPERATOR("pg_catalog".=) ANY((SELECT $1::text[]::integer[])::integer[])',
    `EXECUTE bucardo_delete('{${keys}}')`,
    `COPY pgbench_accounts (aid, bid, abalance, filler) FROM '${file.replaceAll("'", "''")}'`,
    'COMMIT',
  ].join('\n')}\n`;
}

/**
 * What a table copied whole costs a target (`refreshAbove`, core/src/run/refresh.ts): the table emptied by
 * `TRUNCATE`, then the rows of `file` in by `COPY`. The truncate costs the same for any count, so the
 * difference over n is one row into an empty table and index.
 */
export function refreshScript(file: string): string {
  return `${[
    'BEGIN',
    "SELECT set_config('bucardo.replicating', 'on', true)",
    'TRUNCATE ONLY pgbench_accounts',
    `COPY pgbench_accounts (aid, bid, abalance, filler) FROM '${file.replaceAll("'", "''")}'`,
    'COMMIT',
  ].join('\n')}\n`;
}

/**
 * What the postgres source runs to fetch the images of `rows` changed accounts (plugins/postgres/src/
 * key-sql.ts: the keys inlined, since COPY takes no parameters), written nowhere.
 */
export function fetchScript(rows: number): string {
  const keys = Array.from({ length: rows }, (_, i) => `"${i + 1}"`).join(',');
  return `COPY (SELECT aid, bid, abalance, filler FROM ONLY pgbench_accounts WHERE aid OPERATOR("pg_catalog".=) ANY((SELECT '{${keys}}'::text[]::integer[])::integer[]) ORDER BY aid) TO '/dev/null'\n`;
}

/**
 * Files of account images 1..n (every balance changed) that user postgres can read: the server of a
 * single-user count reads them. `file(n)` names the file of the first n rows.
 */
function accountRows(): { file(rows: number): string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bapply-'));
  chmodSync(dir, 0o755);
  const made = new Map<number, string>();
  return {
    file(rows: number) {
      let file = made.get(rows);
      if (!file) {
        file = path.join(dir, `accounts-${rows}.tsv`);
        writeFileSync(file, Array.from({ length: rows }, (_, i) => `${i + 1}\t1\t${(i % 1000) + 1}\t\n`).join(''), { mode: 0o644 });
        made.set(rows, file);
      }
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * pgbench's TPC-B transaction `transactions` times, one statement a line as `postgres --single` reads
 * them, with the same pseudo-random accounts, tellers and amounts on every run (scale 1).
 */
export function tpcbScript(transactions: number): string {
  const draw = tpcbDraws(42, 1);
  const lines: string[] = [];
  for (let i = 0; i < transactions; i++) lines.push(...tpcbStatements(draw()));
  return `${lines.join('\n')}\n`;
}

/** The instructions callgrind counted for `script` in `postgres --single` on a copy of the halted cluster. */
export async function countInstructions(valgrind: string, postgres: string, dataDir: string, db: string, script: string): Promise<number> {
  const copy = `${dataDir}-copy`;
  rmSync(copy, { recursive: true, force: true });
  // -a: the copy stays owned by user postgres, who runs the server when we are root
  execFileSync('cp', ['-a', dataDir, copy]);
  // valgrind writes files to TMPDIR, which may be ours and closed to user postgres (CI's is)
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bvg-'));
  chmodSync(scratch, 0o1777);
  try {
    const command = [valgrind, '--tool=callgrind', '--callgrind-out-file=/dev/null', postgres, '--single', '-D', copy, '-c', 'fsync=off', db];
    const asRoot = process.getuid?.() === 0;
    const output = await runProgram(asRoot ? 'runuser' : command[0]!, asRoot ? ['-u', 'postgres', '--', ...command] : command.slice(1), {
      input: script, env: { ...process.env, TMPDIR: scratch }, what: `callgrind of postgres --single in database ${db}`,
    });
    const failed = /\bERROR: .*$/m.exec(output);
    if (failed) throw new Error(`The instruction count's script failed in database ${db}: ${failed[0]}`);
    const collected = /Collected : (\d+)/.exec(output);
    if (!collected) throw new Error(`callgrind printed no count for database ${db}; its output ended with:\n${output.slice(-2000)}`);
    return Number(collected[1]);
  } finally {
    rmSync(copy, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Whether valgrind is installed, for callers that can do without this scenario. */
export function hasValgrind(): boolean {
  return findProgram('valgrind') !== undefined;
}
