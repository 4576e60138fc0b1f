export const helpText = `Usage: bucardo [options] COMMAND [NOUN] [ARGUMENTS] [key=value …]

Set up:
  install                               create the control database and schema
  add db NAME dbname=DB [host= port= user= pass= type=postgres] [--force]
  add table TABLE… [herd=NAME] [db=NAME]
  add herd NAME [TABLE…]                (relgroup is the same)
  add dbgroup NAME DB:source DB:target …
  add sync NAME herd=NAME dbs=DBGROUP [autokick=true|false] [conflict=latest] [checktime=INTERVAL]
  list dbs|tables|herds|dbgroups|syncs|all

Run:
  start | stop                          (no background daemon yet: syncs run when kicked)
  kick SYNC… [TIMEOUT]                  run now; TIMEOUT 0 waits, N gives up after N seconds
  status [SYNC…|all]                    the table of syncs, or each sync in detail

Options:
  --config FILE        bucardo.config.ts to use (default: found from the current directory)
  --log-level LEVEL    terse, normal, verbose or debug
  -d, --db-name NAME   control database (default: $BUCARDO_CONTROL_DB or "bucardo")
  -h, --db-host HOST   -p, --db-port PORT   -U, --db-user USER   -P, --db-pass PASS
  -q, --quiet          print nothing but errors
  --help, --version

Connection settings not given fall back to PGHOST, PGPORT, PGUSER and PGPASSWORD.
Exit codes: 0 success; 1 error (kick: timed out); 2 kick: the run failed.
`;
