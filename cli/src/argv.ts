import { BucardoError, isLogLevel, logLevelsText, type LogLevel } from '@bucardo/plugin-sdk';

/** Options that come before or after the verb, as in Bucardo (`-d`, `-h`, `-p`, `-U`, `-P` reach the control database). */
export interface GlobalOptions {
  config?: string;
  logLevel?: LogLevel;
  pidDir?: string;
  /** `--log-destination` (repeatable): stderr, stdout, none, or a directory. */
  logDestinations: string[];
  reason?: string;
  dbName?: string;
  dbHost?: string;
  dbPort?: number;
  dbUser?: string;
  dbPass?: string;
  quiet: boolean;
  verbose: number;
  force: boolean;
  help: boolean;
  version: boolean;
  /** `--notimer`: `kick` with a timeout prints no live seconds on a terminal. */
  noTimer: boolean;
  /** `kick --retry N`: kicks a sync again, up to N times, while its run ends KILLED. */
  retry?: string;
  /** `kick --retry-sleep N`: seconds between those kicks. */
  retrySleep?: string;
  /** `add all tables|sequences -n SCHEMA` (repeatable): only these schemas. */
  schemas: string[];
  /** `-N SCHEMA` (repeatable): not these schemas. */
  excludeSchemas: string[];
  /** `-t TABLE` (repeatable): only these tables (`name` or `schema.name`, `%`/`*` wildcards). */
  tables: string[];
  /** `-T TABLE` (repeatable): not these tables. */
  excludeTables: string[];
  /** `status --sort=N`: Bucardo's column number to sort the table by, negative for reversed. */
  sort?: string;
  /** `status --show-days`: ages of a day or more with days (`2d 3h 4m 5s`) rather than hours. */
  showDays: boolean;
  /** `status --compress`: ages without spaces (`1h2m3s`). */
  compress: boolean;
}

export interface ParsedCommand {
  readonly options: GlobalOptions;
  /** Lower-cased verb, e.g. `add`; `add_db` is split into verb and noun. */
  readonly verb: string | undefined;
  /** Every word after the verb that is not `key=value`, in order. */
  readonly words: readonly string[];
  /** `key=value` words, keys lower-cased; a later key wins. */
  readonly params: Readonly<Record<string, string>>;
}

const valued: Record<string, keyof GlobalOptions> = {
  '--config': 'config', '-c': 'config',
  '--log-level': 'logLevel',
  '--pid-dir': 'pidDir', '--piddir': 'pidDir',
  '--log-destination': 'logDestinations', '--log-dest': 'logDestinations',
  '--reason': 'reason',
  '--sort': 'sort',
  '--retry': 'retry', '--retry-sleep': 'retrySleep',
  '-n': 'schemas', '--schema': 'schemas', '-N': 'excludeSchemas', '--exclude-schema': 'excludeSchemas',
  '-t': 'tables', '--table': 'tables', '-T': 'excludeTables', '--exclude-table': 'excludeTables',
  '--db-name': 'dbName', '--dbname': 'dbName', '-d': 'dbName',
  '--db-host': 'dbHost', '--dbhost': 'dbHost', '-h': 'dbHost',
  '--db-port': 'dbPort', '--dbport': 'dbPort', '-p': 'dbPort',
  '--db-user': 'dbUser', '--dbuser': 'dbUser', '-U': 'dbUser',
  '--db-pass': 'dbPass', '--dbpass': 'dbPass', '-P': 'dbPass',
};

const flags: Record<string, (options: GlobalOptions) => void> = {
  '--quiet': (o) => { o.quiet = true; }, '-q': (o) => { o.quiet = true; },
  '--verbose': (o) => { o.verbose++; }, '-v': (o) => { o.verbose++; }, '-vv': (o) => { o.verbose += 2; },
  '--force': (o) => { o.force = true; },
  '--help': (o) => { o.help = true; }, '-?': (o) => { o.help = true; },
  '--version': (o) => { o.version = true; }, '-V': (o) => { o.version = true; },
  '--batch': () => {}, '--notimer': (o) => { o.noTimer = true; },
  '--show-days': (o) => { o.showDays = true; }, '--compress': (o) => { o.compress = true; },
};

/**
 * Parses Bucardo's grammar: `[options] verb [noun] [word…] [key=value…]`, options anywhere. After `message`,
 * a `key=value` is a word of the text (`bucardo message deployed release=42`).
 */
export function parseArgv(argv: readonly string[]): ParsedCommand {
  const options: GlobalOptions = { quiet: false, verbose: 0, force: false, help: false, version: false, noTimer: false, showDays: false, compress: false, logDestinations: [], schemas: [], excludeSchemas: [], tables: [], excludeTables: [] };
  const words: string[] = [];
  const params: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const field = valued[flag];
    if (field) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new BucardoError('INVALID_ARGUMENT', `Option ${flag} needs a value`, { item: flag });
      setOption(options, field, value, flag);
    } else if (flags[flag] && inline === undefined) {
      flags[flag]!(options);
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      throw new BucardoError('INVALID_ARGUMENT', `Unknown option ${arg} (see bucardo --help)`, { item: arg });
    } else if (words.length > 0 && words[0]!.toLowerCase() !== 'message' && /^[A-Za-z_][\w-]*=/.test(arg)) {
      const at = arg.indexOf('=');
      params[arg.slice(0, at).toLowerCase()] = arg.slice(at + 1);
    } else {
      words.push(arg);
    }
  }
  const [first, ...rest] = words;
  if (first === undefined) return { options, verb: undefined, words: [], params };
  const verb = first.toLowerCase();
  const split = verb.startsWith('_') ? -1 : verb.indexOf('_');
  return split > 0
    ? { options, verb: verb.slice(0, split), words: [verb.slice(split + 1), ...rest], params }
    : { options, verb, words: rest, params };
}

function setOption(options: GlobalOptions, field: keyof GlobalOptions, value: string, flag: string): void {
  if (field === 'logLevel') {
    const level = value.toLowerCase();
    if (!isLogLevel(level)) throw new BucardoError('INVALID_ARGUMENT', `--log-level must be ${logLevelsText}, not "${value}"`, { item: flag });
    options.logLevel = level;
  } else if (field === 'logDestinations' || field === 'schemas' || field === 'excludeSchemas' || field === 'tables' || field === 'excludeTables') {
    options[field].push(value);
  } else if (field === 'dbPort') {
    if (!/^\d+$/.test(value)) throw new BucardoError('INVALID_ARGUMENT', `${flag} must be a port number, not "${value}"`, { item: flag });
    options.dbPort = Number(value);
  } else {
    (options as unknown as Record<string, string>)[field] = value;
  }
}
