import { hostname } from 'node:os';
import type { DaemonRow, WorkerRow } from '../control/daemon-store.js';
import { processState } from './process-state.js';

/** How often a daemon heartbeats (one round per lease) unless it recorded another interval. */
export const DEFAULT_LEASE_MS = 1000;
/**
 * Rounds a live daemon may go without a heartbeat: a round's heartbeat waits behind its runs' control
 * queries, and a loaded machine delays rounds. A tighter bound would call busy daemons dead; a killed
 * one is told at once by its process and its released locks, not by this.
 */
const MISSED_ROUNDS = 5;
/** Daemons with very short rounds (tests, benches) still get this long: a pause of Node's event loop is no death. */
const MIN_EXPIRY_MS = 3000;

/** How long a daemon's heartbeat stays fresh: a few of its own rounds. */
export function heartbeatExpiryMs(daemon: Pick<DaemonRow, 'leaseMs'>): number {
  return Math.max(MISSED_ROUNDS * (daemon.leaseMs ?? DEFAULT_LEASE_MS), MIN_EXPIRY_MS);
}

export function heartbeatExpired(daemon: Pick<DaemonRow, 'leaseMs' | 'silentFor'>): boolean {
  return daemon.silentFor * 1000 > heartbeatExpiryMs(daemon);
}

/** A registered daemon responds while its heartbeat is fresh and, when it runs on this machine, its process lives. */
export function daemonResponds(daemon: DaemonRow, here = hostname()): boolean {
  if (heartbeatExpired(daemon)) return false;
  return daemon.host !== here || processState(daemon.pid) === 'running';
}

/**
 * Whether the daemon a sync's worker row names still runs the sync. The row stays behind when its daemon
 * is killed, so it is only believed while that daemon is registered and responds and someone holds the
 * sync's run lock, which the daemon's control connection holds for as long as it runs the sync and which
 * the server releases as soon as that connection closes (a kill closes it at once).
 */
export function workerResponds(worker: WorkerRow, here = hostname()): boolean {
  return worker.lockHeld && worker.owner !== undefined && daemonResponds(worker.owner, here);
}
