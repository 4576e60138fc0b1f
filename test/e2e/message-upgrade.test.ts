/**
 * Two of Bucardo's commands, end to end (the `bucardo` command and the daemon as processes):
 *
 *  - `bucardo message TEXT…` writes a line in the daemon's log (Bucardo's `bucardo_log_message`): sent
 *    while no daemon runs, it is kept and logged when one starts; sent while one runs, it is logged at
 *    once; each message once, `key=value` words kept as words of the text; no text is a usage error;
 *  - `bucardo upgrade` brings an older control schema up to date and says what it added, keeping the
 *    data; on an up-to-date one it says "No schema changes were needed"; a control database without the
 *    schema is refused (not created), and `bucardo install` on an older schema says what it added too.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { createDatabase, dropDatabase, uniqueName } from '../src/helpers/databases.js';
import { DaemonWorld, waitFor } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

const messageLines = (log: string): string[] => log.split('\n').filter((line) => line.includes(' MESSAGE ('));

describe('bucardo message', () => {
  const world = new DaemonWorld(server, 'msg');
  beforeAll(async () => {
    await world.install();
    await world.pair('ms', { autokick: false });
  });
  afterAll(() => world.dispose());

  it('is kept while no daemon runs and logged once when one starts; logged at once while one runs', async () => {
    const before = await world.bucardo('message', 'deployed', 'release=42');
    expect(before.stdout).toBe('No daemon is running: the message is logged when one starts\n');
    expect(before.code, before.stderr).toBe(0);
    expect(await world.sql('SELECT message FROM bucardo.log_message')).toEqual([{ message: 'deployed release=42' }]);

    const d = world.daemon();
    const pid = await d.start();
    const first = await waitFor('the kept message in the log', async () => messageLines(d.log())[0]);
    expect(first).toMatch(new RegExp(`^\\(${pid}\\) \\[[^\\]]+\\] DAEMON MESSAGE \\(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, from cli \\d+@[^)]+\\): deployed release=42$`));

    const during = await d.cli('message', 'maintenance window: 10 minutes');
    expect(during.stdout).toBe(`Message sent to the log of Bucardo (PID ${pid})\n`);
    expect(during.code, during.stderr).toBe(0);
    await waitFor('the second message in the log', async () => messageLines(d.log()).length === 2);
    expect(messageLines(d.log())[1]).toMatch(/\] DAEMON MESSAGE \([^)]+\): maintenance window: 10 minutes$/);
    expect(await world.sql('SELECT message FROM bucardo.log_message')).toEqual([]);

    expect((await d.cli('stop')).code).toBe(0);
    expect(messageLines(d.log())).toHaveLength(2);
  });

  it('without a text is a usage error, and stores nothing', async () => {
    const result = await world.bucardo('message');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('ERROR: Usage: bucardo message TEXT… (the line to write in the daemon\'s log) [INVALID_ARGUMENT]\n');
    expect(await world.sql('SELECT count(*)::int AS n FROM bucardo.log_message')).toEqual([{ n: 0 }]);
  });
});

describe('bucardo upgrade', () => {
  const world = new DaemonWorld(server, 'upg');
  beforeAll(async () => {
    await world.install();
    await world.pair('up', { autokick: false });
  });
  afterAll(() => world.dispose());

  it('on an up-to-date schema: no schema changes were needed', async () => {
    expect(await world.ok('upgrade')).toBe('No schema changes were needed\n');
  });

  it('adds what an older schema lacks, keeping its data', async () => {
    await world.sql('ALTER TABLE bucardo.syncrun DROP COLUMN progressed');
    await world.sql('DROP TABLE bucardo.log_message');
    expect(await world.ok('upgrade')).toBe(`Brought the Bucardo schema in database "${world.control}" up to date, its data kept: added bucardo.log_message, bucardo.syncrun.progressed\n`);
    expect(await world.sql('SELECT name FROM bucardo.sync')).toEqual([{ name: 'up' }]);
    expect(await world.ok('upgrade')).toBe('No schema changes were needed\n');
  });

  it('install on an older schema says what it added', async () => {
    await world.sql('DROP TABLE bucardo.log_message');
    const out = await world.ok('install');
    expect(out.split('\n').slice(1)).toEqual([
      `Brought the Bucardo schema in database "${world.control}" up to date, its data kept: added bucardo.log_message`, '',
    ]);
  });

  it('refuses a control database without the schema, and creates nothing in it', async () => {
    const empty = uniqueName('upgempty');
    const url = await createDatabase(server, empty);
    try {
      const result = await world.bucardo('-d', empty, 'upgrade');
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`ERROR: The control database "${empty}" has no Bucardo schema: run "bucardo install" first [CONTROL_NOT_INSTALLED]\n`);
      const client = await world.connect(url);
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'bucardo'");
      await client.end();
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await dropDatabase(server, empty);
    }
  });
});
