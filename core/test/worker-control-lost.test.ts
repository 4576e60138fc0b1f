/**
 * A sync worker whose check fails on a lost control connection keeps quiet about it (a debug line): the
 * daemon's round fails on the same connection and says so, once, with reminders. A worker used to add a
 * warning of its own per sync and retry (`Sync "s" could not be checked: Lost the connection to the
 * control database …; retrying in 1 s`). Any other failure of its check is still a warning. Real
 * PostgreSQL: the control connection's backend is ended by pg_terminate_backend.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LogFields, Logger, LogLevel } from '@bucardo/plugin-sdk';
import { createDatabase, dropDatabase, serverFromInfo, uniqueName, withClient } from '@bucardo/test';
import { installControl } from '../src/control/control-install.js';
import { ControlSession } from '../src/control/control-session.js';
import type { ControlTarget } from '../src/control/control-connection.js';
import { SyncWorker } from '../src/daemon/sync-worker.js';
import { Engine } from '../src/engine.js';

const server = serverFromInfo(inject('pg'));
const dbname = uniqueName('wcl');
const target: ControlTarget = { dbname, host: server.host, port: server.port, user: server.user, ...(server.password ? { password: server.password } : {}) };

/** A logger that keeps every line with its level. */
function recorder(): Logger & { lines: { level: LogLevel; message: string }[] } {
  const lines: { level: LogLevel; message: string }[] = [];
  const logger = { lines, log: (level: LogLevel, message: string) => { lines.push({ level, message }); }, child: (_: LogFields) => logger };
  return logger;
}

/** Kicks a worker of sync "s" on `control` and returns the line of its first failed check. */
async function failedCheck(control: ControlSession): Promise<{ level: LogLevel; message: string }[]> {
  const log = recorder();
  const settings = { daemonId: 'd1', sizes: { batchSize: 100, partitionSize: 1000 }, pollMs: 50, maxBackoffMs: 30_000, purgeEveryMs: 60_000 };
  const worker = new SyncWorker('s', await Engine.create({ plugins: [] }), control, settings, log);
  worker.kick(); // before it starts: its first check asks for the pending kicks
  worker.start();
  const deadline = Date.now() + 10_000;
  while (!log.lines.some((line) => line.message.includes('could not be checked')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await worker.stop();
  // the first; it may have retried before it stopped
  return log.lines.filter((line) => line.message.includes('could not be checked')).slice(0, 1);
}

beforeAll(async () => {
  await createDatabase(server, dbname);
  await installControl(target);
});
afterAll(() => dropDatabase(server, dbname));

describe('a sync worker and the control connection', () => {
  it('a lost control connection is left to the daemon: the worker says it at debug only', async () => {
    const control = await ControlSession.open(target, 'bucardo worker-control-lost');
    try {
      await withClient(server.url(dbname), (c) => c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bucardo worker-control-lost'"));
      const deadline = Date.now() + 5_000;
      while (!control.broken && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(control.broken).toBe(true);
      const lines = await failedCheck(control);
      expect(lines).toEqual([{ level: 'debug', message: expect.stringMatching(/^Sync "s" could not be checked: Lost the connection to the control database "wcl\w*": .*; retrying in 1 s/) }]);
    } finally {
      await control.close();
    }
  });

  it('any other failure of its check is still a warning', async () => {
    const control = await ControlSession.open(target, 'bucardo worker-control-other');
    try {
      // a table of the schema gone: the check fails, on a connection that is fine
      await withClient(server.url(dbname), (c) => c.query('DROP TABLE bucardo.kick_request'));
      const lines = await failedCheck(control);
      expect(lines).toEqual([{ level: 'warn', message: expect.stringMatching(/^Sync "s" could not be checked: The control database "wcl\w*" has no Bucardo schema: run "bucardo install" first; retrying in 1 s/) }]);
    } finally {
      await control.close();
    }
  });
});
