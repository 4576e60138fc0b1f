import { readFileSync } from 'node:fs';
import { BucardoError } from '@bucardo/plugin-sdk';
import { parseArgv, type ParsedCommand } from './argv.js';
import { CliSession } from './cli-session.js';
import { helpText } from './help.js';
import { printError } from './print-error.js';

type Command = (session: CliSession) => Promise<number>;

// Commands load on demand, so that `--help` and `--version` start fast.
const install = async (): Promise<Command> => (await import('./commands/install.js')).install;
const add = async (): Promise<Command> => (await import('./commands/add.js')).add;
const list = async (): Promise<Command> => (await import('./commands/list.js')).list;
const kick = async (): Promise<Command> => (await import('./commands/kick.js')).kick;
const status = async (): Promise<Command> => (await import('./commands/status.js')).status;
const start = async (): Promise<Command> => (await import('./commands/start.js')).start;
const restart = async (): Promise<Command> => (await import('./commands/start.js')).restart;
const stop = async (): Promise<Command> => (await import('./commands/stop.js')).stop;
const ping = async (): Promise<Command> => (await import('./commands/ping.js')).ping;
const reload = async (): Promise<Command> => (await import('./commands/reload.js')).reload;
const pause = async (): Promise<Command> => (await import('./commands/sync-control.js')).pause;
const resume = async (): Promise<Command> => (await import('./commands/sync-control.js')).resume;
const activate = async (): Promise<Command> => (await import('./commands/sync-control.js')).activate;
const deactivate = async (): Promise<Command> => (await import('./commands/sync-control.js')).deactivate;
const set = async (): Promise<Command> => (await import('./commands/settings.js')).set;
const show = async (): Promise<Command> => (await import('./commands/settings.js')).show;
const update = async (): Promise<Command> => (await import('./commands/update.js')).update;
const remove = async (): Promise<Command> => (await import('./commands/remove.js')).remove;
const validate = async (): Promise<Command> => (await import('./commands/maintenance.js')).validate;
const purge = async (): Promise<Command> => (await import('./commands/maintenance.js')).purge;
const delta = async (): Promise<Command> => (await import('./commands/maintenance.js')).delta;
const daemonProcess = async (): Promise<Command> => (await import('./commands/daemon-process.js')).daemonProcess;

/** The verbs, by their own names. */
const commands: Record<string, () => Promise<Command>> = {
  install, add, list, kick, status, start, stop, restart, ping, reload,
  pause, resume, activate, deactivate, set, show, update, remove, validate, purge, delta,
};

/** Bucardo's other spellings of them, and `__daemon`, the background process `start` launches. */
const aliases: Record<string, () => Promise<Command>> = {
  l: list, lsit: list, liast: list, lisy: list, lit: list, strt: start, upd: update, udpate: update,
  delete: remove, del: remove, deltas: delta, __daemon: daemonProcess,
};

/** The verbs `bucardo` knows by their own names, for checking the help text against. */
export function knownVerbs(): string[] {
  return Object.keys(commands);
}

/** Runs one command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ParsedCommand;
  try {
    parsed = parseArgv(argv);
  } catch (error) {
    printError(error);
    return 1;
  }
  if (parsed.options.version) {
    process.stdout.write(`bucardo ${version()}\n`);
    return 0;
  }
  if (parsed.options.help || parsed.verb === undefined || parsed.verb === 'help') {
    (parsed.verb === undefined && !parsed.options.help ? process.stderr : process.stdout).write(helpText);
    return parsed.verb === undefined && !parsed.options.help ? 1 : 0;
  }
  const loadCommand = commands[parsed.verb] ?? aliases[parsed.verb] ?? (/instal/.test(parsed.verb) ? install : /^vali/.test(parsed.verb) ? validate : undefined);
  const session = new CliSession(parsed);
  try {
    if (!loadCommand) throw new BucardoError('UNKNOWN_COMMAND', `Unknown command "${parsed.verb}" (see bucardo --help)`, { item: parsed.verb });
    return await (await loadCommand())(session);
  } catch (error) {
    printError(error);
    return (error as { exitCode?: number }).exitCode ?? 1;
  } finally {
    await session.close();
  }
}

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}
