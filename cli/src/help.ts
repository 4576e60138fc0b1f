/**
 * The help text, kept as data: each entry is a command's lines in `bucardo --help` with the commands they
 * describe, so that `bucardo help COMMAND` (command-help.ts) prints the very same lines for one command.
 */
export interface HelpEntry {
  /** `verb`, or `verb noun` with the noun as nounOf() spells it (`add database`, `list herd`). */
  readonly commands: readonly string[];
  /** Its lines in the general help, continuation lines included, without the final newline. */
  readonly text: string;
}

export interface HelpSection {
  readonly title: string;
  readonly entries: readonly HelpEntry[];
}

export interface HelpOption {
  readonly text: string;
  /** The verbs that read it; every verb when absent. */
  readonly verbs?: readonly string[];
}

const entry = (commands: readonly string[], text: string): HelpEntry => ({ commands, text });

export const helpUsage = `Usage: bucardo [options] COMMAND [NOUN] [ARGUMENTS] [key=value …]
       bucardo help COMMAND [NOUN]      one command's usage (also: bucardo COMMAND [NOUN] --help)`;

export const helpSections: readonly HelpSection[] = [
  {
    title: 'Set up:',
    entries: [
      entry(['install'], '  install                               create the control database and schema'),
      entry(['upgrade'], '  upgrade                               bring an installed control schema up to date (data kept)'),
      entry(['add database'], `  add db NAME dbname=DB [host= port= user= pass= type=postgres|mongo|flatfile] [makedelta=on] [--force]
                                        pass=env:NAME reads the password from the environment;
                                        sslmode= sslrootcert= sslcert= sslkey= (TLS files, read at every connect)
                                        sslpassword= (or env:NAME) opens an encrypted sslkey
                                        service=NAME (a service of pg_service.conf, read at every connect);
                                        dbgroup=G[:ROLE] puts it in dbgroup G (update dbgroup's checks)`),
      entry(['add table'], '  add table TABLE… [herd=NAME] [db=NAME] [additive=COLUMN,…] [keyless=true] [makedelta=on|off|DB,…]'),
      entry(['add sequence'], '  add sequence SEQUENCE… [herd=NAME]'),
      entry(['add all'], `  add all tables|sequences [db=NAME] [herd=NAME] [-n SCHEMA] [-N SCHEMA] [-t TABLE] [-T TABLE] [pkonly]
                                        every table of a database, picked by schema and name`),
      entry(['add herd'], '  add herd NAME [TABLE…]                (relgroup is the same)'),
      entry(['add dbgroup'], '  add dbgroup NAME DB:source DB:target DB:fullcopy …'),
      entry(['add sync'], `  add sync NAME herd=NAME dbs=DBGROUP [autokick=true|false] [conflict=latest] [checktime=INTERVAL]
                                        [refreshabove=FRACTION]
                                        a source and at least one other database`),
      entry(['add customname'], `  add customname TABLE NEWNAME|SCHEMA.NEWNAME [db=NAME] [sync=NAME]
                                        write TABLE under another name on receiving databases`),
      entry(['add customcols'], `  add customcols TABLE "SELECT col, expression AS col, …" [db=NAME] [sync=NAME]
                                        send receiving databases TABLE's rows as this select list reads them`),
      entry(['list database', 'list table', 'list sequence', 'list herd', 'list dbgroup', 'list sync', 'list all'],
        '  list dbs|tables|sequences|herds|dbgroups|syncs|all [NAME|PATTERN…]'),
      entry(['list conflict'], '  list conflicts [SYNC] [table=T] [limit=N]'),
      entry(['list customname'], '  list customnames [TABLE|PATTERN…]'),
      entry(['list customcols'], '  list customcols [TABLE|PATTERN…]'),
    ],
  },
  {
    title: 'Change:',
    entries: [
      entry(['update sync'], '  update sync NAME autokick= checktime= conflict= status= onetimecopy=1|2 [db=TARGET,…] refreshabove=FRACTION|0|'),
      entry(['update sync'], '  update sync NAME add table T… | remove table T…'),
      entry(['update table'], '  update table NAME [additive=COLUMN,…] [makedelta=on|off|DB,…]'),
      entry(['update database'], '  update db NAME host= port= user= pass= dbname= sslmode= sslrootcert= sslcert= sslkey= sslpassword= service= status=active|inactive makedelta=on|off … [--force]'),
      entry(['update dbgroup'], `  update dbgroup NAME DB[:ROLE]… [name=NEWNAME] | update dbgroup NAME remove DB…
                                        add databases to its syncs (as targets unless a role is given),
                                        give them another role, or take them out`),
      entry(['remove sync', 'remove table', 'remove database'], '  remove sync S… | remove table T… [--force] | remove db D… [--force]'),
      entry(['remove herd', 'remove dbgroup'], '  remove relgroup H… | remove dbgroup G…'),
      entry(['remove customname'], '  remove customname ID…                 the numbers list customnames shows'),
      entry(['remove customcols'], '  remove customcols ID…                 the numbers list customcols shows'),
      entry(['validate'], '  validate SYNC…|all                    tables, keys and columns on every database'),
      entry(['compare'], `  compare SYNC [TABLE…] [limit=N]       rows and sequences on every database against the first source;
                                        exit code 2 when they differ; all or a wildcard: each sync`),
      entry(['inspect table', 'inspect herd', 'inspect sync'], `  inspect table|herd|sync NAME…         the tables their foreign keys point at that the relgroup lacks;
                                        exit code 2 when one is missing`),
      entry(['purge', 'delta'], '  purge [DB…] | delta [DB…]             drop consumed change records now; show the backlog'),
    ],
  },
  {
    title: 'Run:',
    entries: [
      entry(['start', 'stop', 'restart', 'reload', 'ping'], `  start ["reason"] | stop ["reason"] | restart | reload | ping
                                        the daemon (pid file in --pid-dir, log in --log-destination)`),
      entry(['restart'], `  restart ["reason"]                    stop, then start again with the running daemon's options
                                        (--config, --log-level, --log-destination, -d -h -p -U);
                                        options given to restart win`),
      entry(['reload'], `  reload [TIMEOUT]                      DONE! once the daemon took the new config, else its error;
                                        waits at most TIMEOUT seconds (default 30)`),
      entry(['reopen'], '  reopen                                the daemon opens its log files again (log rotation)'),
      entry(['message'], '  message TEXT…                         a line in the daemon\'s log (kept until a daemon runs)'),
      entry(['kick'], `  kick SYNC… [TIMEOUT]                  queue a run; TIMEOUT 0 waits, N waits at most N seconds
  kick SYNC… TIMEOUT --retry N [--retry-sleep S]
                                        kick again, up to N times, while the run ends KILLED`),
      entry(['pause', 'resume', 'activate', 'deactivate'], '  pause | resume | activate | deactivate SYNC…'),
      entry(['status'], `  status [SYNC…|all]                    the table of syncs, or each sync in detail
  status [--sort=N] [--show-days] [--compress]
                                        the table sorted by Bucardo's column numbers (1 name, 3 state,
                                        5 last good, 6 its age, 7 inserts + deletes, 8 last bad, 9 its
                                        age; negative reverses); ages with days; ages without spaces`),
      entry(['set', 'show'], '  set log_level=warn|terse|normal|verbose|debug | show [all|NAME]'),
    ],
  },
];

const daemonVerbs = ['start', 'stop', 'restart', 'reload', 'reopen', 'ping', 'status'];

export const helpOptions: readonly HelpOption[] = [
  { text: '  --config FILE        bucardo.config.ts to use (default: found from the current directory)' },
  { text: '  --log-level LEVEL    warn, terse, normal, verbose or debug' },
  { text: '  --pid-dir DIR        the daemon\'s pid file directory (default $BUCARDO_PID_DIR or /var/run/bucardo)', verbs: daemonVerbs },
  { text: '  --log-destination D  for start/restart: a directory (log.bucardo), stderr, stdout or none (repeatable)', verbs: ['start', 'restart'] },
  { text: '  -d, --db-name NAME   control database (default: $BUCARDO_CONTROL_DB or "bucardo")' },
  { text: '  -h, --db-host HOST   -p, --db-port PORT   -U, --db-user USER   -P, --db-pass PASS' },
  { text: '  -q, --quiet          print nothing but errors' },
  { text: '  --notimer            no live seconds while kick waits on a terminal', verbs: ['kick'] },
  { text: '  --help, --version', verbs: [] },
];

export const helpConnectionNote = 'Connection settings not given fall back to PGHOST, PGPORT, PGUSER and PGPASSWORD.';

/** Exit codes other than 0 success and 1 error, by verb. */
export const helpExitCodes: Readonly<Record<string, string>> = {
  kick: '0 done, 1 timed out, 2 the run failed (KILLED!), 3 other error',
  ping: '0 OK, 1 CRITICAL',
  compare: '0 all the same, 2 some differ, 1 error',
  inspect: '0 nothing missing, 2 a table a foreign key points at is not in the relgroup, 1 error',
};

export const helpText = `${helpUsage}

${helpSections.map((section) => `${section.title}\n${section.entries.map((e) => e.text).join('\n')}\n`).join('\n')}
Options:
${helpOptions.map((option) => option.text).join('\n')}

${helpConnectionNote}
Exit codes: 0 success; 1 error; kick: 1 timed out, 2 the run failed (KILLED!), 3 other error;
ping: 1 CRITICAL; compare: 2 some tables differ; inspect: 2 a table a foreign key points at is missing.
`;
