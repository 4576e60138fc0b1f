import { BucardoError } from '@bucardo/plugin-sdk';
import { parseArgv, type ParsedCommand } from './argv.js';
import { CliSession } from './cli-session.js';
import { commandHelp } from './command-help.js';
import { helpText } from './help.js';
import { printError } from './print-error.js';
import { cliVersion } from './version.js';

type Command = (session: CliSession) => Promise<number>;

// Commands load on demand, so that `--help` and `--version` start fast.
const install = async (): Promise<Command> => (await import('./commands/install.js')).install;
const add = async (): Promise<Command> => (await import('./commands/add.js')).add;
const list = async (): Promise<Command> => (await import('./commands/list.js')).list;
const kick = async (): Promise<Command> => (await import('./commands/kick.js')).kick;
const status = async (): Promise<Command> => (await import('./commands/status.js')).status;
const start = async (): Promise<Command> => (await import('./commands/start.js')).start;
const restart = async (): Promise<Command> => (await import('./commands/restart.js')).restart;
const stop = async (): Promise<Command> => (await import('./commands/stop.js')).stop;
const ping = async (): Promise<Command> => (await import('./commands/ping.js')).ping;
const reload = async (): Promise<Command> => (await import('./commands/reload.js')).reload;
const reopen = async (): Promise<Command> => (await import('./commands/reopen.js')).reopen;
const message = async (): Promise<Command> => (await import('./commands/message.js')).message;
const upgrade = async (): Promise<Command> => (await import('./commands/install.js')).upgrade;
const pause = async (): Promise<Command> => (await import('./commands/sync-control.js')).pause;
const resume = async (): Promise<Command> => (await import('./commands/sync-control.js')).resume;
const activate = async (): Promise<Command> => (await import('./commands/sync-control.js')).activate;
const deactivate = async (): Promise<Command> => (await import('./commands/sync-control.js')).deactivate;
const set = async (): Promise<Command> => (await import('./commands/settings.js')).set;
const show = async (): Promise<Command> => (await import('./commands/settings.js')).show;
const update = async (): Promise<Command> => (await import('./commands/update.js')).update;
const remove = async (): Promise<Command> => (await import('./commands/remove.js')).remove;
const validate = async (): Promise<Command> => (await import('./commands/maintenance.js')).validate;
const compare = async (): Promise<Command> => (await import('./commands/compare.js')).compare;
const inspect = async (): Promise<Command> => (await import('./commands/inspect.js')).inspect;
const purge = async (): Promise<Command> => (await import('./commands/maintenance.js')).purge;
const delta = async (): Promise<Command> => (await import('./commands/maintenance.js')).delta;
const daemonProcess = async (): Promise<Command> => (await import('./commands/daemon-process.js')).daemonProcess;

/** The verbs, by their own names. */
const commands: Record<string, () => Promise<Command>> = {
  install, upgrade, add, list, kick, status, start, stop, restart, ping, reload, reopen, message,
  pause, resume, activate, deactivate, set, show, update, remove, validate, compare, inspect, purge, delta,
};

/** Bucardo's other spellings of them. */
const aliases: Record<string, string> = {
  l: 'list', lsit: 'list', liast: 'list', lisy: 'list', lit: 'list', strt: 'start', upd: 'update', udpate: 'update',
  delete: 'remove', del: 'remove', deltas: 'delta',
};

/** The verbs `bucardo` knows by their own names, for checking the help text against. */
export function knownVerbs(): string[] {
  return Object.keys(commands);
}

/** The own name of a verb as typed (lower-cased), or undefined when `bucardo` has no such command. */
function verbName(verb: string): string | undefined {
  if (Object.hasOwn(commands, verb)) return verb;
  if (Object.hasOwn(aliases, verb)) return aliases[verb];
  return /instal/.test(verb) ? 'install' : /^vali/.test(verb) ? 'validate' : undefined;
}

function unknownCommand(verb: string): BucardoError {
  return new BucardoError('UNKNOWN_COMMAND', `Unknown command "${verb}" (see bucardo --help)`, { item: verb });
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
    process.stdout.write(`bucardo ${cliVersion()}\n`);
    return 0;
  }
  if (parsed.verb === undefined) {
    (parsed.options.help ? process.stdout : process.stderr).write(helpText);
    return parsed.options.help ? 0 : 1;
  }
  // `help add_sync` is read as the command line `add_sync`, so it is spelled as the command itself is
  if (parsed.verb === 'help') return help(parseArgv(parsed.words));
  if (parsed.options.help) return help(parsed);
  const name = verbName(parsed.verb);
  // `__daemon` is the background process `start` launches: not a command for people, nor in the help
  const loadCommand = parsed.verb === '__daemon' ? daemonProcess : name === undefined ? undefined : commands[name];
  const session = new CliSession(parsed);
  try {
    if (!loadCommand) throw unknownCommand(parsed.verb);
    return await (await loadCommand())(session);
  } catch (error) {
    printError(error);
    return (error as { exitCode?: number }).exitCode ?? 1;
  } finally {
    await session.close();
  }
}

/** The usage of one command, or all of them for `help` alone; an unknown command is an error naming it, as when run. */
function help(command: ParsedCommand): number {
  if (command.verb === undefined || command.verb === 'help') {
    process.stdout.write(helpText);
    return 0;
  }
  const name = verbName(command.verb);
  if (name === undefined) {
    printError(unknownCommand(command.verb));
    return 1;
  }
  process.stdout.write(commandHelp(name, command.words[0]));
  return 0;
}
