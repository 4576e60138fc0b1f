/**
 * The benchmark's side-by-side peer (`npm run bench -- --peer <script>`): how the real Bucardo's figures
 * are read from its script's results, and how its capture, dumped from a database where Bucardo installed
 * it, is restored and timed beside ours. The script itself needs root and the bucardo package, so here it
 * is stood in for by small scripts that write what it writes (the summary line is one from a real run),
 * and Bucardo's dump by a file of the same kind: pgbench's tables with a capture trigger of their own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { restorePeerCapture } from '../src/bench/bucardo-peer-capture.js';
import { parsePeerResults, runBucardoPeer } from '../src/bench/bucardo-peer.js';
import { captureOverhead } from '../src/bench/capture-overhead.js';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName, withClient } from '../src/helpers/databases.js';
import { workload } from '../src/helpers/workload/index.js';

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

/** What `pg_dump` of a peer source holds, in small: pgbench's tables, and a trigger recording each account changed. */
const STAND_IN_DUMP = `
CREATE TABLE public.pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88));
CREATE TABLE public.pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler char(84));
CREATE TABLE public.pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
CREATE TABLE public.pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
COPY public.pgbench_branches (bid, bbalance) FROM stdin;
1	0
\\.
INSERT INTO public.pgbench_tellers SELECT i, 1, 0 FROM generate_series(1, 10) AS i;
INSERT INTO public.pgbench_accounts SELECT i, 1, 0 FROM generate_series(1, 100000) AS i;
CREATE SCHEMA standin;
CREATE TABLE standin.delta (aid int NOT NULL);
CREATE FUNCTION standin.note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO standin.delta VALUES (NEW.aid); RETURN NULL; END $$;
CREATE TRIGGER bucardo_delta AFTER UPDATE ON public.pgbench_accounts FOR EACH ROW EXECUTE FUNCTION standin.note();
`;

describe("the peer's capture, beside ours", () => {
  const server = serverFromInfo(inject('pg'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'peer-capture-test-'));
  const dumpFile = path.join(dir, 'stand-in.sql');
  writeFileSync(dumpFile, STAND_IN_DUMP);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('restores a dump into an empty database, where writes then fire its trigger', async () => {
    const db = uniqueName('peercap');
    await createDatabase(server, db);
    try {
      await restorePeerCapture(server, db, { name: 'stand-in', dumpFile });
      await workload.run(server.url(db), { transactions: 40, clients: 1 });
      // each transaction updates one account: one record each
      const recorded = await withClient(server.url(db), (client) => client.query<{ n: string }>('SELECT count(*) AS n FROM standin.delta'));
      expect(recorded.rows[0]!.n).toBe('40');
    } finally {
      await dropDatabase(server, db);
    }
  });

  it('times the peer in the same rounds as ours, as a ratio to the same database without capture, and drops its database after', async () => {
    const result = await captureOverhead(server, 30, 1, [{ name: 'stand-in', dumpFile }], 1);
    expect(result.peers).toHaveLength(1);
    const [peer] = result.peers;
    expect(peer!.name).toBe('stand-in');
    expect(peer!.tps).toBeGreaterThan(0);
    expect(peer!.ratio).toBe(peer!.tps / result.tpsWithout);
    const left = await withClient(server.url('postgres'), (client) => client.query("SELECT datname FROM pg_database WHERE datname LIKE 'bbucardo%'"));
    expect(left.rows).toEqual([]);
  });

  it('fails naming the capture and the database when the restore fails, with the end of psql\'s output', async () => {
    const broken = path.join(dir, 'broken.sql');
    writeFileSync(broken, 'CREATE TABLE t (id int);\nINSERT INTO no_such_table VALUES (1);\n');
    const db = uniqueName('peercap');
    await createDatabase(server, db);
    try {
      await expect(restorePeerCapture(server, db, { name: 'broken', dumpFile: broken })).rejects.toThrow(
        new RegExp(`^The restore of broken into ${db} exited with 3; its output ended with:\\n.*relation "no_such_table" does not exist`, 's'));
    } finally {
      await dropDatabase(server, db);
    }
  });
});
