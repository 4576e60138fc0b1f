/**
 * The benchmark's side-by-side peer (`npm run bench -- --peer <script>`): how the real Bucardo's figures
 * are read from its script's results. The script itself needs root and the bucardo package, so here it is
 * stood in for by small scripts that write what it writes; the summary line is one from a real run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePeerResults, runBucardoPeer } from '../src/bench/bucardo-peer.js';

const SUMMARY = 'N=10000 sources=4 dbs=5 pgbench_no_triggers=11.088s(904.788803 tps) pgbench[btest1=14.583s(687.103932 tps), btest2=15.673s(639.255477 tps), btest3=13.075s(766.243128 tps), btest4=12.751s(785.762672 tps)] kick_wall_s=5.293 kick_rc=0 sync_run_s=3.927 kick_start_to_ended_s=4.682 I=33012 D=132048 C=4853 cpu_s_kid=1.53 cpu_s_pg=3.43 empty_kick_wall_s=32.296 converged=yes loadavg1_at_start=1.00\n';
const CONTROL = 'control\t11.088\t904.788803\n';
const TIMES = 'btest1\t14.583\t687.103932\nbtest2\t15.673\t639.255477\nbtest3\t13.075\t766.243128\nbtest4\t12.751\t785.762672\n';

describe('the Bucardo peer of the benchmark', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'peer-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the kick, the sync run, the empty kick, the counts and the pgbench rates', () => {
    expect(parsePeerResults(SUMMARY, CONTROL, TIMES)).toEqual({
      kickToDoneS: 4.682, syncRunS: 3.927, emptyKickS: 32.296, inserts: 33012, deletes: 132048, conflicts: 4853,
      tpsWithout: 904.788803, tpsWith: (687.103932 + 639.255477 + 766.243128 + 785.762672) / 4,
    });
  });

  it('refuses a run that did not converge, and a summary without a figure, naming what is wrong', () => {
    expect(() => parsePeerResults(SUMMARY.replace('converged=yes', 'converged=no'), CONTROL, TIMES)).toThrow(/Bucardo did not converge in the peer run/);
    expect(() => parsePeerResults(SUMMARY.replace(/sync_run_s=[0-9.]+ /, ''), CONTROL, TIMES)).toThrow(/The peer's summary has no sync_run_s/);
    expect(() => parsePeerResults(SUMMARY, 'control\t11.0\tn/a\n', TIMES)).toThrow(/The peer's pgbench figures are unreadable/);
  });

  it('runs the script with N and NSRC, without node_modules/.bin on PATH (whose bucardo is ours), and reads the files it leaves in RESULTS_DIR', async () => {
    const script = path.join(dir, 'ok.sh');
    writeFileSync(script, [
      'test "$1 $2" = "10000 4" || exit 9',
      'case "$PATH" in *node_modules*) echo "PATH has node_modules: $PATH"; exit 8;; esac',
      `printf '%s' '${SUMMARY.trim()}' > "$RESULTS_DIR/summary.txt"`,
      `printf '${CONTROL.replace(/\t/g, '\\t').replace(/\n/g, '\\n')}' > "$RESULTS_DIR/pgbench_control.tsv"`,
      `printf '${TIMES.replace(/\t/g, '\\t').replace(/\n/g, '\\n')}' > "$RESULTS_DIR/pgbench_times.tsv"`,
    ].join('\n'));
    const before = process.env.PATH;
    process.env.PATH = [path.join(process.cwd(), 'node_modules', '.bin'), before].join(path.delimiter);
    const result = await runBucardoPeer(script, 10000, 4).finally(() => (process.env.PATH = before));
    expect(result.kickToDoneS).toBe(4.682);
    expect(result.tpsWithout).toBe(904.788803);
  });

  it('fails with the exit code and the end of the output when the script fails', async () => {
    const script = path.join(dir, 'fail.sh');
    writeFileSync(script, 'echo "bucardo: command not found" >&2\nexit 127\n');
    await expect(runBucardoPeer(script, 1000, 4)).rejects.toThrow(`The peer script ${script} 1000 4 exited with 127; its output ended with:\nbucardo: command not found`);
  });
});
