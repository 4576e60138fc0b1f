/**
 * Bucardo 5.6's capture, measured beside ours in the capture-overhead scenario (`--peer`). The real Bucardo
 * installs its triggers: the peer script runs once, small, and leaves its cluster up (`KEEP=1`); a source
 * database is dumped as Bucardo left it (the sync's `autokick=false`: its delta triggers), and again after
 * `bucardo update sync foobar autokick=1` (its default: a statement trigger that sends a NOTIFY as well).
 * Both dumps are restored on the bench's own server, so that the two captures are timed on one server in
 * the same alternating rounds. Nothing of Bucardo's is kept in this project: the DDL is read from the
 * installed Bucardo each time.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PgServer } from '../fixtures/pg-server.js';
import { withClient } from '../helpers/databases.js';
import { findPgProgram } from '../helpers/workload/pgbench.js';
import { runProgram } from '../helpers/process.js';
import { peerEnv, runPeerScript } from './bucardo-peer.js';

/** Where the peer script keeps its cluster and Bucardo's files, as its header documents them. */
const PEER = { base: '/tmp/bucardo-bench', host: '127.0.0.1', port: '55432', bin: '/usr/lib/postgresql/15/bin', sync: 'foobar', source: 'btest1' };

export interface PeerCapture {
  /** What the figures are called. */
  readonly name: string;
  /** `pg_dump` of a source database with Bucardo's capture installed. */
  readonly dumpFile: string;
}

export interface PeerCaptureDumps {
  readonly captures: readonly PeerCapture[];
  dispose(): void;
}

/** Runs the peer script and dumps its first source twice (autokick off, then on); the peer is stopped after. */
export async function dumpPeerCapture(script: string): Promise<PeerCaptureDumps> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bucardo-peer-capture-'));
  const env = { ...peerEnv(), HOME: `${PEER.base}/home`, PGHOST: PEER.host, PGPORT: PEER.port, PGUSER: 'postgres' };
  try {
    try {
      await runPeerScript(script, ['100', '1'], { KEEP: '1', RESULTS_DIR: path.join(dir, 'results') });
      const withoutKick = path.join(dir, 'autokick-off.sql');
      const withKick = path.join(dir, 'autokick-on.sql');
      await dumpSource(env, withoutKick);
      await bucardo(['update', 'sync', PEER.sync, 'autokick=1'], env);
      await dumpSource(env, withKick);
      requireTrigger(withoutKick, 'bucardo_delta');
      requireTrigger(withKick, `bucardo_kick_${PEER.sync}`);
      return {
        captures: [
          { name: 'Bucardo 5.6 triggers (autokick off)', dumpFile: withoutKick },
          { name: 'Bucardo 5.6 triggers (autokick on)', dumpFile: withKick },
        ],
        dispose: () => rmSync(dir, { recursive: true, force: true }),
      };
    } finally {
      await stopKeptPeer(env);
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Restores a dump into an empty database of the bench's server, ready to be written to. */
export async function restorePeerCapture(server: PgServer, db: string, capture: PeerCapture): Promise<void> {
  const psql = findPgProgram('psql');
  if (!psql) throw new Error(`No psql to restore ${capture.name} with: install PostgreSQL's client programs, or set PG_BINDIR`);
  const env = { ...peerEnv(), PGPASSWORD: server.password };
  await runProgram(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', server.url(db), '-f', capture.dumpFile], { env, what: `The restore of ${capture.name} into ${db}` });
  await withClient(server.url(db), (client) => client.query('VACUUM ANALYZE'));
}

/** The peer's Bucardo, run in its own folder as the script runs it: it writes files to the working directory. */
function bucardo(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return runProgram('bucardo', ['--bucardorc', `${PEER.base}/bucardorc`, ...args], { env, what: `bucardo ${args.join(' ')}`, cwd: PEER.base });
}

async function dumpSource(env: NodeJS.ProcessEnv, file: string): Promise<void> {
  // owned by whoever restores it: the bench's server has no bucardo role
  await runProgram(`${PEER.bin}/pg_dump`, ['--no-owner', '--no-privileges', '-f', file, PEER.source], { env, what: `pg_dump of the peer's ${PEER.source}` });
}

function requireTrigger(dumpFile: string, trigger: string): void {
  if (!readFileSync(dumpFile, 'utf8').includes(`CREATE TRIGGER ${trigger} `)) {
    throw new Error(`The peer's ${PEER.source} has no ${trigger} trigger in ${path.basename(dumpFile)}: did Bucardo install its capture?`);
  }
}

/** What the peer script does at its end without KEEP=1: Bucardo stopped, then its cluster. */
async function stopKeptPeer(env: NodeJS.ProcessEnv): Promise<void> {
  const piddir = `${PEER.base}/run`;
  await bucardo(['stop', 'bench capture done'], env).catch(() => undefined);
  for (let wait = 0; wait < 60 && existsSync(piddir) && readdirSync(piddir).some((file) => file.endsWith('.pid')); wait++) await sleep(500);
  if (existsSync(`${PEER.base}/data/postmaster.pid`)) {
    await runProgram('runuser', ['-u', 'postgres', '--', `${PEER.bin}/pg_ctl`, '-D', `${PEER.base}/data`, '-m', 'fast', '-w', 'stop'], { env, what: "pg_ctl stop of the peer's cluster" });
  }
}
