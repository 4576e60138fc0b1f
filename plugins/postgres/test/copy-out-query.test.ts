/**
 * `COPY … TO STDOUT` read off the socket (copyOutBatches) against a real server: rows that span socket
 * chunks arrive whole and in batches; an error in the middle of the copy is the server's error; and a copy
 * stopped early, by its consumer or by an abort, leaves the connection ready for the next statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName } from '@bucardo/test';
import { inject } from 'vitest';
import pg from 'pg';
import { copyOutAll, copyOutBatches } from '../src/copy-out-query.js';
import { forEachLine } from '../src/copy-out-parser.js';

const server = serverFromInfo(inject('pg'));
const db = uniqueName('copyout');
let client: pg.Client;

/** 2,000 rows; every 100th carries 200 kB, more than a socket chunk. */
const ROWS = `SELECT i, CASE WHEN i % 100 = 0 THEN repeat('y', 200000) ELSE 'r' || i END AS v FROM generate_series(1, 2000) AS i`;

beforeAll(async () => {
  client = new pg.Client({ connectionString: await createDatabase(server, db) });
  await client.connect();
});

afterAll(async () => {
  await client.end();
  await dropDatabase(server, db);
});

describe('copyOutBatches', () => {
  it('yields every row whole, in batches of the size asked, the same as a query returns them', async () => {
    const sizes: number[] = [];
    const lines: string[] = [];
    for await (const rows of copyOutBatches(client, `COPY (${ROWS}) TO STDOUT`, 70)) {
      sizes.push(rows.ends.length);
      forEachLine(rows, (line) => lines.push(line.toString()));
    }
    expect(sizes.length).toBe(29);
    expect(sizes.slice(0, -1).every((size) => size === 70)).toBe(true);
    expect(sizes.at(-1)).toBe(2000 - 28 * 70);
    const expected = (await client.query<{ i: number; v: string }>(ROWS)).rows.map((row) => `${row.i}\t${row.v}`);
    expect(lines).toEqual(expected);
  });

  it('gives all the rows in one batch to copyOutAll, and an empty one for no rows', async () => {
    const all = await copyOutAll(client, `COPY (${ROWS}) TO STDOUT`);
    expect(all.ends.length).toBe(2000);
    expect(all.data.length).toBe(all.ends[1999]! + 1);
    const none = await copyOutAll(client, 'COPY (SELECT 1 WHERE false) TO STDOUT');
    expect([none.data.length, none.ends.length]).toEqual([0, 0]);
  });

  it('rejects with the server\'s error when the copy fails halfway, and the connection goes on', async () => {
    const failing = copyOutAll(client, 'COPY (SELECT 1 / (1500 - i) FROM generate_series(1, 2000) AS i) TO STDOUT');
    await expect(failing).rejects.toMatchObject({ code: '22012', message: 'division by zero' });
    expect((await client.query('SELECT 42 AS n')).rows).toEqual([{ n: 42 }]);
  });

  it('leaves the server waiting to send while a batch waits to be taken, and goes on when it is', async () => {
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const watcher = new pg.Client({ connectionString: server.url(db) });
    await watcher.connect();
    try {
      const batches = copyOutBatches(client, `COPY (SELECT i, repeat('w', 200) FROM generate_series(1, 200000) AS i) TO STDOUT`, 1000);
      const first = await batches.next();
      expect(first.value?.ends.length).toBe(1000);
      // nobody asks for the next batch: the socket fills and the server blocks on its write
      let waiting: string | null = null;
      for (let tries = 0; tries < 100 && waiting !== 'ClientWrite'; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        waiting = (await watcher.query<{ wait_event: string | null }>('SELECT wait_event FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]!.wait_event;
      }
      expect(waiting).toBe('ClientWrite');
      let rows = first.value!.ends.length;
      for await (const more of batches) rows += more.ends.length;
      expect(rows).toBe(200000);
    } finally {
      await watcher.end();
    }
  });

  // A copy of a billion rows, streamed as they are made (a set-returning function in the select list; in
  // FROM, it would be made whole before the first row): read to its end it would outlast the test's
  // timeout, so each of these ends only if the cancel stopped it on the server.
  const ENDLESS = `COPY (SELECT generate_series(1, 1000000000) AS i, repeat('z', 100) AS pad) TO STDOUT`;

  it('cancels the copy when the consumer stops early; the next statements run, none of them cancelled', async () => {
    let batches = 0;
    for await (const rows of copyOutBatches(client, ENDLESS, 1000)) {
      expect(rows.ends.length).toBe(1000);
      if (++batches === 2) break;
    }
    expect(batches).toBe(2);
    expect((await client.query('SELECT pg_sleep(0.3), 7 AS n')).rows[0].n).toBe(7);
    await client.query('BEGIN');
    expect((await client.query('SELECT count(*)::int AS n FROM generate_series(1, 1000)')).rows).toEqual([{ n: 1000 }]);
    await client.query('COMMIT');
  });

  it('rejects with "aborted" when its signal aborts while it waits for a batch, and leaves the connection usable', async () => {
    const controller = new AbortController();
    let batches = 0;
    const reading = (async () => {
      for await (const rows of copyOutBatches(client, ENDLESS, 10000, controller.signal)) {
        batches += rows.ends.length > 0 ? 1 : 0;
        // the abort lands while the next batch is being waited for
        if (batches === 3) setTimeout(() => controller.abort(), 1);
      }
    })();
    await expect(reading).rejects.toThrow('aborted');
    expect(batches).toBeGreaterThanOrEqual(3);
    expect((await client.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
  });

  it('aborted while paused (the server blocked on its write), the next batch asked is refused and the copy ends', async () => {
    const controller = new AbortController();
    const batches = copyOutBatches(client, ENDLESS, 1000, controller.signal);
    expect((await batches.next()).value?.ends.length).toBe(1000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await expect(batches.next()).rejects.toThrow('aborted');
    expect((await client.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
  });

  it('stopped while queued behind another statement, it is never sent', async () => {
    const controller = new AbortController();
    const busy = client.query('SELECT pg_sleep(0.5)');
    const batches = copyOutBatches(client, ENDLESS, 1000, controller.signal);
    const first = batches.next();
    setTimeout(() => controller.abort(), 100);
    await expect(first).rejects.toThrow('aborted');
    await busy;
    expect((await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT generate_series%' AND pid <> pg_backend_pid()")).rows).toEqual([{ n: 0 }]);
    expect((await client.query('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
  });

  it('a copy whose cancel is lost (it never reaches the server) has its connection closed, and the server\'s copy ends', async () => {
    const lost = new pg.Client({ connectionString: server.url(db) });
    await lost.connect();
    const pid = (await lost.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // the cancel request goes to host:port of the client; nothing listens on port 1, so it is lost
    (lost as unknown as { port: number }).port = 1;
    // closed under it, the client says so (as the plugin's sessions listen for): once for the close, once as its end
    const errors: Error[] = [];
    const ended = new Promise<void>((resolve) => lost.on('error', (error) => { errors.push(error); resolve(); }));
    let batches = 0;
    // without the close, this loop would read the billion rows to their end
    for await (const rows of copyOutBatches(lost, ENDLESS, 1000)) {
      expect(rows.ends.length).toBe(1000);
      if (++batches === 1) break;
    }
    await ended;
    expect(errors[0]?.message).toMatch(/COPY did not end within 5 s of its cancel: connection closed|Connection terminated/);
    await expect(lost.query('SELECT 1')).rejects.toThrow();
    let backends = 1;
    for (let tries = 0; tries < 100 && backends > 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      backends = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]!.n;
    }
    expect(backends).toBe(0);
  });
});
