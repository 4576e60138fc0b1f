export const helpText = `Usage: bucardo [options] COMMAND [NOUN] [ARGUMENTS] [key=value …]

Set up:
  install                               create the control database and schema
  add db NAME dbname=DB [host= port= user= pass= type=postgres|mongo|flatfile] [--force]
                                        pass=env:NAME reads the password from the environment
  add table TABLE… [herd=NAME] [db=NAME] [additive=COLUMN,…] [keyless=true]
  add sequence SEQUENCE… [herd=NAME]
  add herd NAME [TABLE…]                (relgroup is the same)
  add dbgroup NAME DB:source DB:target DB:fullcopy …
  add sync NAME herd=NAME dbs=DBGROUP [autokick=true|false] [conflict=latest] [checktime=INTERVAL]
                                        [refreshabove=FRACTION]
                                        a source and at least one other database
  list dbs|tables|sequences|herds|dbgroups|syncs|all
  list conflicts [SYNC] [table=T] [limit=N]

Change:
  update sync NAME autokick= checktime= conflict= status= onetimecopy=1|2 refreshabove=FRACTION|0|
  update sync NAME add table T… | remove table T…
  update table NAME additive=COLUMN,…
  update db NAME host= port= user= pass= dbname= conn= status=active|inactive … [--force]
  remove sync S… | remove table T… [--force] | remove db D… [--force]
  validate SYNC…|all                    tables, keys and columns on every database
  purge [DB…] | delta [DB…]             drop consumed change records now; show the backlog

Run:
  start ["reason"] | stop ["reason"] | restart | reload | ping
                                        the daemon (pid file in --pid-dir, log in --log-destination)
  reload [TIMEOUT]                      DONE! once the daemon took the new config, else its error;
                                        waits at most TIMEOUT seconds (default 30)
  kick SYNC… [TIMEOUT]                  queue a run; TIMEOUT 0 waits, N waits at most N seconds
  pause | resume | activate | deactivate SYNC…
  status [SYNC…|all]                    the table of syncs, or each sync in detail
  set log_level=terse|normal|verbose|debug | show [all|NAME]

Options:
  --config FILE        bucardo.config.ts to use (default: found from the current directory)
  --log-level LEVEL    terse, normal, verbose or debug
  --pid-dir DIR        the daemon's pid file directory (default $BUCARDO_PID_DIR or /var/run/bucardo)
  --log-destination D  for start: a directory (log.bucardo), stderr, stdout or none (repeatable)
  -d, --db-name NAME   control database (default: $BUCARDO_CONTROL_DB or "bucardo")
  -h, --db-host HOST   -p, --db-port PORT   -U, --db-user USER   -P, --db-pass PASS
  -q, --quiet          print nothing but errors
  --help, --version

Connection settings not given fall back to PGHOST, PGPORT, PGUSER and PGPASSWORD.
Exit codes: 0 success; 1 error; kick: 1 timed out, 2 the run failed (KILLED!), 3 other error;
ping: 1 CRITICAL.
`;
