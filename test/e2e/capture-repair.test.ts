/**
 * A capture trigger disabled or dropped by hand on a source: the application's changes there were
 * recorded nowhere, and every run said the sync was fine while `compare` showed rows missing. Now a run
 * refuses (`KILLED!`, CAPTURE_FAILED naming the table, the database and the fix), `bucardo validate`
 * installs capture again with a warning that says what it cannot bring back, and `compare` shows it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { DaemonWorld, statusDetail, waitFor, type Db } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));

describe('a capture trigger disabled or dropped on a source', () => {
  const world = new DaemonWorld(server, 'crp');
  beforeAll(() => world.install());
  afterAll(() => world.dispose());

  const ids = async (db: Db) => (await world.query(db.url, 'SELECT id FROM t ORDER BY id')).map((row) => row.id);

  it('a run refuses it, naming the table, the database and the fix; validate installs capture again; compare shows what was missed', async () => {
    const a = await world.database('crp_A');
    const b = await world.database('crp_B');
    const c = await world.database('crp_C');
    await world.api.addTables(['t'], { herd: 'crp_h', db: a.name });
    await world.api.addDbGroup('crp_g', [`${a.name}:source`, `${b.name}:source`, `${c.name}:target`]);
    await world.api.addSync('crp', { herd: 'crp_h', dbs: 'crp_g', autokick: 'false' });
    await world.insert(a, 1, 2);
    expect(await world.ok('kick', 'crp', '0')).toMatch(/DONE!/);

    for (const [how, state, breakIt] of [
      ['disabled', 'is disabled', 'ALTER TABLE t DISABLE TRIGGER bucardo_capture'],
      ['missing (dropped, or never installed there)', 'is missing (dropped, or never installed there)', 'DROP TRIGGER bucardo_capture ON t'],
    ] as const) {
      const id = how === 'disabled' ? 50 : 60;
      await world.query(b.url, breakIt);
      await world.insert(b, id); // recorded nowhere
      await world.insert(a, id + 1); // recorded on A, and held back with the rest
      const refused = await world.bucardo('kick', 'crp', '0');
      expect(refused.stdout).toMatch(/^Kick crp: \[\d+ s\] KILLED!\n/);
      expect(refused.stdout).toContain(`Capture of table "public.t" on database "crp_B" is not working: its trigger bucardo_capture ${state}, so changes made there are not recorded. bucardo validate on the sync installs it again; then bucardo compare on the sync, for public.t, shows what was missed [CAPTURE_FAILED]`);
      expect(refused.code).toBe(2);
      // nothing was written anywhere
      expect(await ids(c)).not.toContain(id + 1);

      const validated = await world.bucardo('validate', 'crp');
      expect(validated.stdout).toBe([
        'Validating sync crp ... OK',
        `  Warning: Capture of table "public.t" on database "crp_B" was not working (its trigger bucardo_capture was ${how}) and is installed again; changes made there meanwhile were not captured: bucardo compare crp public.t shows them [CAPTURE_FAILED]`,
        '',
      ].join('\n'));
      expect(validated.code).toBe(0);

      expect(await world.ok('kick', 'crp', '0')).toMatch(/DONE!/);
      expect(await ids(c)).toContain(id + 1);
      // the row written while capture was off stays on B alone, and compare says so
      const compared = await world.bucardo('compare', 'crp', 'limit=0');
      expect(compared.stdout).toContain('  crp_B: 1 extra\n');
      expect(compared.code).toBe(2);
      // touched again, it is captured now and goes everywhere
      await world.query(b.url, `UPDATE t SET v = v WHERE id = ${id}`);
      expect(await world.ok('kick', 'crp', '0')).toMatch(/DONE!/);
      for (const db of [a, b, c]) expect(await ids(db), db.name).toContain(id);
    }
    const same = await world.bucardo('compare', 'crp');
    expect(same.code).toBe(0);
  });

  it('while the sync has another problem, validate names a broken trigger as a problem too, and repairs nothing', async () => {
    const a = await world.database('crq_A');
    const b = await world.database('crq_B');
    await world.query(a.url, 'CREATE TABLE u (id int PRIMARY KEY)');
    await world.query(b.url, 'CREATE TABLE u (id int PRIMARY KEY)');
    await world.api.addTables(['t', 'u'], { herd: 'crq_h', db: a.name });
    await world.api.addDbGroup('crq_g', [`${a.name}:source`, `${b.name}:source`]);
    await world.api.addSync('crq', { herd: 'crq_h', dbs: 'crq_g', autokick: 'false' });
    await world.query(b.url, 'ALTER TABLE t DISABLE TRIGGER bucardo_capture; DROP TABLE u');
    const validated = await world.bucardo('validate', 'crq');
    expect(validated.stdout).toBe([
      'Validating sync crq ... FAILED',
      '  Table "public.u" does not exist on database "crq_B" [TABLE_MISSING]',
      '  Capture of table "public.t" on database "crq_B" is not working (its trigger bucardo_capture was disabled): validate installs it again once the problems above are fixed [CAPTURE_FAILED]',
      '',
    ].join('\n'));
    expect(validated.code).toBe(1);
    expect((await world.query(b.url, "SELECT tgenabled FROM pg_trigger WHERE tgname = 'bucardo_capture'"))[0]).toEqual({ tgenabled: 'D' });
  });

  it('validate waits at most 5 s for a table held by an open transaction: nothing changed, said, and the writers of the table not held up for long', async () => {
    const a = await world.database('crl_A');
    const b = await world.database('crl_B');
    await world.api.addTables(['t'], { herd: 'crl_h', db: a.name });
    await world.api.addDbGroup('crl_g', [`${a.name}:source`, `${b.name}:source`]);
    await world.api.addSync('crl', { herd: 'crl_h', dbs: 'crl_g', autokick: 'false' });
    await world.insert(b, 1, 2);
    await world.query(b.url, 'ALTER TABLE t DISABLE TRIGGER bucardo_capture');
    const holder = new pg.Client({ connectionString: b.url });
    await holder.connect();
    try {
      await holder.query("BEGIN; UPDATE t SET v = 'held' WHERE id = 1");
      const validating = world.bucardo('validate', 'crl');
      // another row meanwhile: it waits behind validate's lock request for at most those 5 s
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await world.query(b.url, "UPDATE t SET v = 'other' WHERE id = 2");
      const validated = await validating;
      expect(validated.stdout).toBe([
        'Validating sync crl ... FAILED',
        '  Could not lock table "public.t" within 5s to install its capture: a transaction holds it (pg_stat_activity shows which); nothing was changed, try again once it ends [CAPTURE_FAILED]',
        '',
      ].join('\n'));
      expect(validated.code).toBe(1);
      expect((await world.query(b.url, "SELECT tgenabled FROM pg_trigger WHERE tgname = 'bucardo_capture'"))[0]).toEqual({ tgenabled: 'D' });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect((await world.bucardo('validate', 'crl')).stdout).toContain('is installed again');
  });

  it('with autokick, a table whose trigger is gone still gets a run, which fails naming it: the daemon does not stay silent', async () => {
    const a = await world.database('cra_A');
    const b = await world.database('cra_B');
    await world.api.addTables(['t'], { herd: 'cra_h', db: a.name });
    await world.api.addDbGroup('cra_g', [`${a.name}:source`, `${b.name}:source`]);
    await world.api.addSync('cra', { herd: 'cra_h', dbs: 'cra_g' });
    const daemon = world.daemon();
    await daemon.start();
    try {
      // the daemon's first run, on start, finds nothing wrong
      await waitFor('the first run', async () => statusDetail((await daemon.cli('status', 'cra')).stdout).get('Current state') === 'Good');
      // then nothing anywhere makes a change record: only the probe's look at the triggers (every 10 s) starts a run
      await world.query(b.url, 'ALTER TABLE t DISABLE TRIGGER bucardo_capture');
      await world.insert(b, 7);
      const detail = await waitFor('the run that names the disabled trigger', async () => {
        const status = await daemon.cli('status', 'cra');
        // between its retries the daemon's next attempt shows as Connecting, with the last error still there
        const shown = statusDetail(status.stdout);
        return status.stdout.includes('[CAPTURE_FAILED]') && shown.get('Current state') === 'Bad' ? shown : undefined;
      }, 30_000);
      expect(detail.get('Last error')).toMatch(/^Capture of table "public\.t" on database "cra_B" is not working: its trigger bucardo_capture is disabled, .* \[CAPTURE_FAILED\] \(database "cra_B", table "public\.t"; /);
    } finally {
      await daemon.kill();
    }
    expect(await ids(a)).toEqual([]);
  });
});
