/**
 * `npm run bench`: the performance figures of issue 8, on a throwaway PostgreSQL (or BUCARDO_TEST_PG_URL).
 * Its options are in `bench-options.ts` (`npm run bench -- --help`); the scenarios in a file each.
 */
import { startEmbeddedPostgres } from '../fixtures/embedded-postgres.js';
import { startPostgres } from '../fixtures/pg-server.js';
import { autokickLatency } from './autokick-latency.js';
import { backlogApply } from './backlog-apply.js';
import { BenchUsageError, USAGE, parseBenchOptions, type BenchOptions } from './bench-options.js';
import { runBucardoPeer, type PeerSeedResult } from './bucardo-peer.js';
import { dumpPeerCapture, type PeerCaptureDumps } from './bucardo-peer-capture.js';
import { captureInstructions, hasValgrind } from './capture-instructions.js';
import { captureOverhead, type CaptureOverheadResult } from './capture-overhead.js';
import { machine, report, type Figure } from './report.js';
import { manyTables } from './many-tables.js';
import { seedWorkload } from './seed-workload.js';

/** The backlog scenario's second kick copies the table whole when half its rows or more changed. */
const REFRESH_ABOVE = 0.5;

/** A server that pays for durable commits, as production servers and the peer script's cluster do. */
const DURABLE = { fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on' };

async function main(options: BenchOptions): Promise<void> {
  const { quick, only, peer } = options;
  const wanted = (name: string) => only === undefined || only === name;
  const server = await startPostgres();
  const figures: Figure[] = [];
  try {
    if (wanted('seed')) {
      const sizes: Array<[number, number]> = quick ? [[200, 4]] : [[1000, 4], [10000, 2], [10000, 4]];
      for (const [transactions, sources] of sizes) {
        const label = `seed ${transactions}x${sources}`;
        const big = transactions === 10000 && sources === 4;
        // the peer first, on a machine as quiet as ours will be; its cluster is gone when it returns
        let bucardo: PeerSeedResult | undefined;
        if (peer !== undefined) {
          console.log(`Bucardo 5.6 (peer): ${transactions} transactions on each of ${sources} sources …`);
          bucardo = await runBucardoPeer(peer, transactions, sources);
          figures.push({ name: `Bucardo 5.6 ${label}: kick to done`, value: bucardo.kickToDoneS, unit: 's', higherIsBetter: false });
          figures.push({ name: `Bucardo 5.6 ${label}: sync run`, value: bucardo.syncRunS, unit: 's', higherIsBetter: false });
          figures.push({ name: `Bucardo 5.6 ${label}: rows moved (I+D)`, value: bucardo.inserts + bucardo.deletes, unit: 'rows', higherIsBetter: true });
        }
        console.log(`seed workload: ${transactions} transactions on each of ${sources} sources …`);
        const seed = await seedWorkload(server, transactions, sources);
        figures.push({ name: `${label}: kick to converged`, value: seed.kickToConvergedMs / 1000, unit: 's', higherIsBetter: false, ...(big && !bucardo ? { target: { value: 1, text: '<= ~1 s (1/4 of Bucardo 5.6: 4.2 s)' } } : {}) });
        if (bucardo) figures.push({ name: `${label}: kick to converged / Bucardo's`, value: seed.kickToConvergedMs / 1000 / bucardo.kickToDoneS, unit: 'x', higherIsBetter: false, ...(big ? { target: { value: 0.25, text: '<= 1/4, side by side' } } : {}) });
        figures.push({ name: `${label}: sync run`, value: seed.syncRunMs / 1000, unit: 's', higherIsBetter: false });
        figures.push({ name: `${label}: rows moved (I+D)`, value: seed.inserts + seed.deletes, unit: 'rows', higherIsBetter: true });
        figures.push({ name: `${label}: conflicts`, value: seed.conflicts, unit: '', higherIsBetter: true });
        if (big || quick) {
          figures.push({ name: `${label}: empty kick after (new connections)`, value: seed.emptyKickMs, unit: 'ms', higherIsBetter: false });
          figures.push({ name: `${label}: empty kick after, as a bucardo kick process`, value: seed.emptyKickProcessMs, unit: 'ms', higherIsBetter: false });
          figures.push({ name: `${label}: empty run after (kept connections)`, value: seed.emptyRunMs, unit: 'ms', higherIsBetter: false, target: { value: 50, text: '< 50 ms' } });
          // Bucardo's way of writing (no trigger fires for the rows a sync writes), beside ours, same sizes
          console.log(`seed workload, applyAsReplica: ${transactions} transactions on each of ${sources} sources …`);
          const replica = await seedWorkload(server, transactions, sources, { applyAsReplica: true });
          figures.push({ name: `${label}, applyAsReplica: kick to converged`, value: replica.kickToConvergedMs / 1000, unit: 's', higherIsBetter: false });
          if (bucardo) figures.push({ name: `${label}, applyAsReplica: kick to converged / Bucardo's`, value: replica.kickToConvergedMs / 1000 / bucardo.kickToDoneS, unit: 'x', higherIsBetter: false });
          figures.push({ name: `${label}, applyAsReplica: sync run`, value: replica.syncRunMs / 1000, unit: 's', higherIsBetter: false });
          if (bucardo) {
            figures.push({ name: `Bucardo 5.6 ${label}: empty kick after`, value: bucardo.emptyKickS * 1000, unit: 'ms', higherIsBetter: false });
            // pgbench one client at a time, as the peer script runs it: not the same run as ours below
            figures.push({ name: `Bucardo 5.6 ${label}: pgbench slower with its triggers`, value: (1 - bucardo.tpsWith / bucardo.tpsWithout) * 100, unit: '%', higherIsBetter: false });
          }
        }
      }
    }
    // Bucardo's own triggers, installed by the real Bucardo, measured beside ours by both capture scenarios
    let peerCapture: PeerCaptureDumps | undefined;
    if (peer !== undefined && (wanted('capture') || wanted('instructions'))) {
      console.log('Bucardo 5.6 (peer): installing its capture, to measure it beside ours …');
      peerCapture = await dumpPeerCapture(peer);
    }
    const peers = peerCapture?.captures ?? [];
    try {
      if (wanted('capture')) {
        console.log('capture overhead: 2 clients, fsync off …');
        figures.push(...captureFigures('', 'capture overhead (1 - with/without)', await captureOverhead(server, quick ? 300 : 3000, 2, peers)));
        console.log('capture overhead: 1 client, durable server (fsync on) …');
        const durableServer = await startEmbeddedPostgres(DURABLE);
        try {
          const durable = await captureOverhead(durableServer, quick ? 300 : 3000, 1, peers);
          figures.push(...captureFigures('fsync on, 1 client: ', 'fsync on, 1 client: capture overhead', durable));
        } finally {
          await durableServer.stop();
        }
      }
      if (wanted('instructions')) {
        if (!hasValgrind()) {
          console.log('capture overhead in instructions: left out, valgrind is not installed');
        } else {
          console.log('capture overhead in instructions (callgrind) …');
          const counted = await captureInstructions(peers, quick ? 50 : 300, quick ? 500 : 10_000);
          const overhead = (instructions: number) => (instructions / counted.plain - 1) * 100;
          figures.push({ name: 'instructions per TPC-B transaction without capture', value: counted.plain, unit: 'instr', higherIsBetter: false });
          figures.push({ name: 'instructions per TPC-B transaction with capture', value: counted.captured, unit: 'instr', higherIsBetter: false });
          figures.push({ name: 'capture overhead in instructions', value: overhead(counted.captured), unit: '%', higherIsBetter: false });
          for (const other of counted.peers) figures.push({ name: `${other.name}: overhead in instructions`, value: overhead(other.instructions), unit: '%', higherIsBetter: false });
          // what the echo guard costs the rows a sync writes into a source (DELETE + COPY), and applyAsReplica's saving
          const applied = counted.applyPerRow;
          figures.push({ name: 'instructions per row applied into a database without capture', value: applied.withoutCapture, unit: 'instr', higherIsBetter: false });
          figures.push({ name: 'instructions per row applied into a source', value: applied.intoSource, unit: 'instr', higherIsBetter: false });
          figures.push({ name: 'instructions per row applied into a source, applyAsReplica', value: applied.intoSourceAsReplica, unit: 'instr', higherIsBetter: false });
          figures.push({ name: 'instructions per row fetched from a source', value: applied.fetched, unit: 'instr', higherIsBetter: false });
          figures.push({ name: 'instructions per row copied whole into a database without capture (refreshAbove)', value: applied.copiedWhole, unit: 'instr', higherIsBetter: false });
        }
      }
    } finally {
      peerCapture?.dispose();
    }
    if (wanted('backlog')) {
      const rows = options.backlogRows ?? (quick ? 100_000 : 1_000_000);
      console.log(`backlog apply: ${rows} updated rows to two targets …`);
      const { partitionSize } = options;
      const backlog = await backlogApply(server, rows, partitionSize === undefined ? {} : { partitionSize });
      figures.push({ name: `backlog ${rows}: rows/s per target`, value: backlog.rowsPerSecond, unit: 'rows/s', higherIsBetter: true, target: { value: 150_000, text: '>= 150,000 rows/s' } });
      figures.push({ name: `backlog ${rows}: peak memory of the kick`, value: backlog.peakRssMb, unit: 'MB', higherIsBetter: false, target: { value: 300, text: '< 300 MB' } });
      console.log(`backlog apply again, with refreshAbove ${REFRESH_ABOVE} (the table copied whole) …`);
      const refreshed = await backlogApply(server, rows, { ...(partitionSize === undefined ? {} : { partitionSize }), refreshAbove: REFRESH_ABOVE });
      figures.push({ name: `backlog ${rows}, refreshAbove ${REFRESH_ABOVE}: rows/s per target`, value: refreshed.rowsPerSecond, unit: 'rows/s', higherIsBetter: true, target: { value: 150_000, text: '>= 150,000 rows/s' } });
      figures.push({ name: `backlog ${rows}, refreshAbove ${REFRESH_ABOVE}: peak memory of the kick`, value: refreshed.peakRssMb, unit: 'MB', higherIsBetter: false, target: { value: 300, text: '< 300 MB' } });
    }
    if (wanted('tables')) {
      const tables = quick ? 50 : 400;
      console.log(`a sync of ${tables} tables …`);
      const many = await manyTables(server, tables);
      figures.push({ name: `${tables} tables: empty run (kept connections)`, value: many.emptyRunMs, unit: 'ms', higherIsBetter: false });
      figures.push({ name: `${tables} tables: run of one row (kept connections)`, value: many.oneRowRunMs, unit: 'ms', higherIsBetter: false });
      figures.push({ name: `${tables} tables: empty kick (new connections)`, value: many.emptyKickMs, unit: 'ms', higherIsBetter: false });
    }
    if (wanted('latency')) {
      console.log('autokick latency …');
      const latency = await autokickLatency(server, quick ? 3 : 10);
      figures.push({ name: 'autokick latency p50', value: latency.p50Ms, unit: 'ms', higherIsBetter: false });
      figures.push({ name: 'autokick latency p95', value: latency.p95Ms, unit: 'ms', higherIsBetter: false, target: { value: 1000, text: '< 1 s' } });
    }
  } finally {
    await server.stop();
  }
  report({ date: new Date().toISOString(), machine: machine(), quick, ...(only === undefined ? {} : { only }), figures });
}

/** The figures of one capture-overhead measurement; `prefix` names the server and clients (names stay as in earlier results). */
function captureFigures(prefix: string, overheadName: string, result: CaptureOverheadResult): Figure[] {
  return [
    { name: `${prefix}pgbench tps without capture`, value: result.tpsWithout, unit: 'tps', higherIsBetter: true },
    { name: `${prefix}pgbench tps with capture`, value: result.tpsWith, unit: 'tps', higherIsBetter: true },
    { name: overheadName, value: (1 - result.ratio) * 100, unit: '%', higherIsBetter: false, target: { value: 10, text: '<= 10 %' } },
    ...result.peers.map((other) => ({ name: `${prefix}${other.name}: overhead, same rounds`, value: (1 - other.ratio) * 100, unit: '%', higherIsBetter: false })),
  ];
}

function start(): void {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  main(options).catch((error: unknown) => {
    console.error(`Benchmark failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exitCode = 1;
  });
}

start();
