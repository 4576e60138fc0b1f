/**
 * `bucardo reload` against a real daemon process started with `--config FILE`, the file edited between
 * reloads. The command reports the daemon's answer (through the control database), not that a signal was
 * sent:
 *
 *  - a config the daemon can load: `... DONE!`, exit 0, and the new settings are in force;
 *  - a config naming a plugin that is not installed: `... FAILED!`, the daemon's PLUGIN_NOT_FOUND error and
 *    that it keeps its previous configuration, exit 1; the daemon logs the failure and keeps syncing with
 *    its running configuration;
 *  - a config this command cannot read itself (a bad logLevel): CONFIG_INVALID, the daemon not asked and
 *    still running, exit 1;
 *  - a daemon that cannot answer (stopped with SIGSTOP) within `reload 1`: `... Timed out!`, exit 1; it
 *    answers once it runs again;
 *  - a config with another `batchSize`: `... DONE!`, and the next run is cut into transactions of that size;
 *  - a plugin file changed since the daemon imported it: `... DONE!` and a note (and a log line) that its new
 *    code needs `bucardo restart`, as Node keeps the module it first imported;
 *  - a plugin factory that throws or rejects: every command's PLUGIN_ERROR names the file and the config;
 *    a BucardoError it throws (CONFIG_INVALID, CONNECTION_FAILED) keeps its code, said the same way;
 *    `ping` (WARNING) and `status` (a WARNING line) still answer from the control database; reload FAILED!;
 *  - `reopen` with the text logger, which has no reopen(): the log says nothing was opened again.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverFromInfo } from '../src/fixtures/pg-server.js';
import { alive, DaemonWorld, statusDetail, waitFor, type DaemonHandle, type Pair } from './support/daemon-world.js';

const server = serverFromInfo(inject('pg'));
const MISSING = 'bucardo-plugin-that-does-not-exist';

describe('bucardo reload', () => {
  const world = new DaemonWorld(server, 'drl');
  let rl: Pair;
  let d: DaemonHandle;
  let pid = 0;
  let config = '';
  const writeConfig = (body: string): void => writeFileSync(config, `export default ${body};\n`);
  const reload = (...args: string[]) => d.cli('--config', config, 'reload', ...args);
  const requests = () => world.sql("SELECT answered IS NOT NULL AS answered, error->>'code' AS code FROM bucardo.reload_request ORDER BY id");
  /** Lines of the daemon's log that contain `text`. */
  const logLines = (text: string): string[] => d.log().split('\n').filter((line) => line.includes(text));

  beforeAll(async () => {
    await world.install();
    rl = await world.pair('rl');
    config = path.join(world.tempDir('cfg'), 'bucardo.config.ts');
    writeConfig("{ logLevel: 'normal' }");
    d = world.daemon();
    pid = await d.start('--config', config);
    await world.owned(pid, ['rl']);
  });
  afterAll(() => world.dispose());

  it('a config the daemon takes: DONE!, exit 0, and its settings are in force', async () => {
    await world.insert(rl.a, 1);
    await world.arrives(rl.b, [1]);
    expect(logLines('public.t: 1 inserts')).toEqual([]); // verbose, not normal

    writeConfig("{ logLevel: 'verbose' }");
    const r = await reload();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Reloading Bucardo (PID ${pid}) ... DONE!\n`);
    expect(r.stderr).toBe('');
    expect(await requests()).toEqual([{ answered: true, code: null }]);
    await waitFor('the reload in the log', async () => logLines('Reloaded the configuration and plugins').length === 1);

    await world.insert(rl.a, 2);
    await world.arrives(rl.b, [1, 2]);
    await waitFor('a verbose line of the run', async () => logLines('public.t: 1 inserts').length > 0);
  });

  it('a plugin the daemon cannot load: FAILED!, its error and that it keeps its configuration, exit 1; it goes on syncing', async () => {
    writeConfig(`{ logLevel: 'normal', plugins: ['${MISSING}'] }`);
    const r = await reload();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`Reloading Bucardo (PID ${pid}) ... FAILED!\n`);
    const reason = `Cannot load plugin "${MISSING}" named in ${config}: no such package or file can be imported from ${path.dirname(config)}`;
    expect(r.stderr).toBe(`ERROR: ${reason} [PLUGIN_NOT_FOUND]\nBucardo (PID ${pid}) keeps running with its previous configuration\n`);
    expect(await requests()).toEqual([{ answered: true, code: null }, { answered: true, code: 'PLUGIN_NOT_FOUND' }]);
    await waitFor('the failure in the log', async () => logLines('Reload failed').length === 1);
    expect(logLines('Reload failed')[0]).toMatch(/ WARN DAEMON Reload failed, keeping the running configuration: Cannot load plugin "bucardo-plugin-that-does-not-exist"/);
    expect(alive(pid)).toBe(true);

    // still the running configuration: verbose (not the file's normal), and syncing
    const verboseLines = logLines('public.t: 1 inserts').length;
    await world.insert(rl.a, 3);
    await world.arrives(rl.b, [1, 2, 3]);
    await waitFor('another verbose line', async () => logLines('public.t: 1 inserts').length > verboseLines);
  });

  it('--config naming another file than the daemon was started with: refused, the daemon not asked, exit 1', async () => {
    writeConfig("{ logLevel: 'normal' }");
    const other = path.join(world.tempDir('cfg2'), 'bucardo.config.ts');
    writeFileSync(other, "export default { logLevel: 'normal' };\n");
    const before = await requests();
    const r = await d.cli('--config', other, 'reload');
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expect(r.stderr).toBe(`ERROR: Bucardo (PID ${pid}) was started with ${config}, and reload makes it read that file again, not ${other}: to run with ${other}, use "bucardo restart --config ${other}" [INVALID_ARGUMENT]\n`);
    expect(await requests()).toEqual(before);
  });

  it.each([
    [['abc'], 'ERROR: Usage: bucardo reload [TIMEOUT] (seconds; "abc" is not one) [INVALID_ARGUMENT]'],
    [['1', '2'], 'ERROR: Usage: bucardo reload [TIMEOUT] (seconds; "1 2" is not one) [INVALID_ARGUMENT]'],
  ])('reload %j: refused with the usage, exit 1, the daemon not asked', async (args, message) => {
    writeConfig("{ logLevel: 'normal' }");
    const before = await requests();
    const r = await reload(...args);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 1, stdout: '', stderr: `${message}\n` });
    expect(await requests()).toEqual(before);
  });

  it('reload with no daemon running: says so, exit 1, nothing asked', async () => {
    writeConfig("{ logLevel: 'normal' }");
    const before = await requests();
    const r = await world.daemon().cli('--config', config, 'reload');
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: 'Bucardo is not running: nothing to reload\n' });
    expect(await requests()).toEqual(before);
  });

  it('set log_level while the config sets logLevel: stored, with a note that the config wins', async () => {
    writeConfig("{ logLevel: 'normal' }");
    const r = await d.cli('--config', config, 'set', 'log_level=debug');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`Set "log_level" to "debug"\nNote: ${config} sets logLevel to "normal", which takes precedence over log_level: remove it there for log_level to apply\n`);
    expect((await d.cli('--config', config, 'set', 'log_level=normal')).code).toBe(0);
  });

  it('a config this command cannot read: CONFIG_INVALID, the daemon not asked and running on, exit 1', async () => {
    writeConfig("{ logLevel: 'shouty' }");
    const before = await requests();
    const r = await reload();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `ERROR: The config ${config} sets logLevel to "shouty": it must be one of warn, terse, normal, verbose, debug [CONFIG_INVALID]\n`
      + `Bucardo (PID ${pid}) was not asked to reload: it keeps running with its previous configuration\n`,
    );
    expect(await requests()).toEqual(before);
    expect(logLines('Reload failed')).toHaveLength(1);
    await world.insert(rl.a, 4);
    await world.arrives(rl.b, [1, 2, 3, 4]);
  });

  it('no answer in time: Timed out!, exit 1; the daemon answers once it runs again, and syncs', async () => {
    writeConfig("{ logLevel: 'normal' }");
    process.kill(pid, 'SIGSTOP');
    let r;
    try {
      r = await reload('1');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`Reloading Bucardo (PID ${pid}) ... Timed out!\n`);
    expect(r.stderr).toBe(`No answer from Bucardo (PID ${pid}) within 1 s: until it answers it runs with its previous configuration, and whether it takes the new one is in its log\n`);
    await waitFor('the late answer', async () => (await requests()).at(-1)?.answered === true);
    expect((await requests()).at(-1)).toEqual({ answered: true, code: null });
    await waitFor('the reload in the log', async () => logLines('Reloaded the configuration and plugins').length === 2);

    // and a reload that is answered in time is DONE! again
    const again = await reload();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`Reloading Bucardo (PID ${pid}) ... DONE!\n`);
    await world.insert(rl.a, 5);
    await world.arrives(rl.b, [1, 2, 3, 4, 5]);
    expect(alive(pid)).toBe(true);
  });

  it('a new batchSize: DONE!, and the next run is cut into transactions of that size', async () => {
    writeConfig("{ logLevel: 'normal', batchSize: 1 }");
    const r = await reload();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Reloading Bucardo (PID ${pid}) ... DONE!\n`);
    // the run waits for the target's table, where status shows how it is cut
    const locker = await world.connect(rl.b.url);
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE t IN EXCLUSIVE MODE');
      await world.insert(rl.a, 6, 7, 8);
      const applying = await waitFor('the run to wait for the lock on B', async () => {
        const state = statusDetail((await d.cli('status', 'rl')).stdout).get('Current state');
        return state?.startsWith('Applying') ? state : undefined;
      }, 20_000);
      expect(applying).toMatch(/\(batch 1 of 3, 0 of 3 keys done\)$/);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
    }
    await world.arrives(rl.b, [1, 2, 3, 4, 5, 6, 7, 8]);
  });
  it('a plugin file changed since the daemon imported it: DONE!, and a note and a log line that its new code needs a restart', async () => {
    const file = path.join(path.dirname(config), 'acme.mjs');
    writeFileSync(file, "export default () => ({ name: 'acme', apply() {} });\n");
    writeConfig("{ logLevel: 'normal', plugins: ['./acme.mjs'] }");
    // imported for the first time at this reload: its code is the file's
    const first = await reload();
    expect({ code: first.code, stdout: first.stdout, stderr: first.stderr }).toEqual({ code: 0, stdout: `Reloading Bucardo (PID ${pid}) ... DONE!\n`, stderr: '' });

    writeFileSync(file, "export default () => ({ name: 'acme', apply() { /* rebuilt */ } });\n");
    const note = `Plugin "./acme.mjs" (${file}) changed on disk since the daemon loaded it: the reload keeps the code loaded then (Node cannot load a module again); "bucardo restart" runs the new code`;
    const again = await reload();
    expect({ code: again.code, stdout: again.stdout, stderr: again.stderr }).toEqual({ code: 0, stdout: `Reloading Bucardo (PID ${pid}) ... DONE!\nNote: ${note}\n`, stderr: '' });
    await waitFor('the note in the log', async () => logLines(note).length === 1);
    expect(logLines(note)[0]).toMatch(/ WARN /);
  });

  /** A factory that throws the SDK's own BucardoError (imported by path: the plugin file lies outside the workspace). */
  const refusing = (code: string, message: string): string =>
    `import { BucardoError } from '${pathToFileURL(createRequire(import.meta.url).resolve('@bucardo/plugin-sdk')).href}';\n`
    + `export default () => { throw new BucardoError('${code}', '${message}', { item: 'colour' }); };\n`;

  it.each([
    ['throws', 'boom.mjs', "export default () => { throw new Error('acme factory exploded'); };\n", 'PLUGIN_ERROR', 'acme factory exploded'],
    ['rejects', 'boom-async.mjs', "export default async () => { throw new Error('acme factory exploded'); };\n", 'PLUGIN_ERROR', 'acme factory exploded'],
    // its own code kept, yet said of the plugin and the config; not read as a config ping cannot read
    ['refuses an option (CONFIG_INVALID)', 'refuses.mjs', refusing('CONFIG_INVALID', 'acme has no option colour'), 'CONFIG_INVALID', 'acme has no option colour'],
    // not read as the control database being unreachable
    ['cannot reach its service (CONNECTION_FAILED)', 'unreachable.mjs', refusing('CONNECTION_FAILED', 'acme cannot reach its licence server'), 'CONNECTION_FAILED', 'acme cannot reach its licence server'],
  ])('a plugin factory that %s: its error naming the file and the config, exit 1; ping WARNING, status a WARNING, reload FAILED!', async (_, name, body, code, said) => {
    const file = path.join(path.dirname(config), name);
    writeFileSync(file, body);
    writeConfig(`{ logLevel: 'normal', plugins: ['./${name}'] }`);
    const reason = `Cannot load plugin "./${name}" (${file}) named in ${config}: its factory failed: ${said}`;
    const list = await d.cli('--config', config, 'list', 'dbs');
    expect({ code: list.code, stdout: list.stdout, stderr: list.stderr }).toEqual({ code: 1, stdout: '', stderr: `ERROR: ${reason} [${code}]\n` });

    // the daemon runs on the plugins it loaded: ping reads its heartbeat without them, and says what a restart would meet
    const ping = await d.cli('--config', config, 'ping');
    expect({ code: ping.code, stdout: ping.stdout, stderr: ping.stderr }).toEqual({
      code: 1, stdout: `WARNING: Bucardo runs (PID ${pid}), but the plugins of its config do not load, so a restart would fail: ${reason} [${code}]\n`, stderr: '',
    });
    const status = await d.cli('--config', config, 'status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toBe(`WARNING: The plugins of the config do not load, so this status is read without them (the daemon keeps those it loaded; a restart would fail): ${reason} [${code}]\n`);
    expect(status.stdout).toMatch(/^PID of Bucardo MCP: \d+\n/);
    expect(status.stdout).toMatch(/\brl\b/);

    const r = await reload();
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 1, stdout: `Reloading Bucardo (PID ${pid}) ... FAILED!\n`, stderr: `ERROR: ${reason} [${code}]\nBucardo (PID ${pid}) keeps running with its previous configuration\n`,
    });
    writeConfig("{ logLevel: 'normal' }");
    const ok = await d.cli('--config', config, 'ping');
    expect({ code: ok.code, stdout: ok.stdout }).toEqual({ code: 0, stdout: `OK: Got response from PID ${pid}\n` });
  });

  it('reopen with the text logger, which has no reopen(): the log says nothing was opened again', async () => {
    const r = await d.cli('reopen');
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: `Asked Bucardo (PID ${pid}) to reopen its log files\n`, stderr: '' });
    const line = 'Received SIGUSR2: logger "text" has no reopen(), so nothing was opened again (a logger that opens its file for each line, as text does, needs none)';
    await waitFor('the reopen line', async () => logLines(line).length === 1);
    expect(logLines('log files opened again')).toEqual([]);
  });
});

