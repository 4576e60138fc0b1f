/**
 * Sync options of Bucardo's that mean nothing here: its process model (a controller and a kid per sync,
 * their lifetimes), its Nagios script's thresholds, display fields, knobs of a copy this project does
 * otherwise. A Bucardo user's scripts pass them (`stayalive=0 kidsalive=0` is in Bucardo's own examples):
 * refused as unknown, the scripts would fail on what is no error. So each is left out with a warning that
 * says why, and the rest of the command goes on.
 */
const withoutEffect: Readonly<Record<string, string>> = {
  stayalive: 'Bucardo\'s controller process per sync; here the daemon runs each sync in a worker of its own for as long as it runs',
  kidsalive: 'Bucardo\'s kid process per sync; here the daemon runs each sync in a worker of its own for as long as it runs',
  lifetime: 'Bucardo restarts a sync\'s processes after it; here a sync has no process of its own to restart',
  maxkicks: 'Bucardo restarts a sync\'s processes after that many kicks; here a sync has no process of its own to restart',
  priority: 'display only in Bucardo',
  overdue: 'read only by Bucardo\'s Nagios script check_bucardo_sync; here bucardo status shows a sync stalled and ping answers for the daemon',
  expired: 'read only by Bucardo\'s Nagios script check_bucardo_sync; here bucardo status shows a sync stalled and ping answers for the daemon',
  track_rates: 'never written by Bucardo either',
  isolation_level: 'each source is read in one REPEATABLE READ transaction per run, and each database written in READ COMMITTED with its rows locked',
  txnmode: 'each source is read in one REPEATABLE READ transaction per run, and each database written in READ COMMITTED with its rows locked',
  rebuild_index: 'copies here write into the table\'s indexes as they go',
  analyze_after_copy: 'run ANALYZE on the receiving databases after a large copy yourself (autovacuum does it in time)',
  vacuum_after_copy: 'run VACUUM on the receiving databases after a large copy yourself (autovacuum does it in time)',
  strict_checking: 'bucardo validate checks every table on every database, and a difference that would lose data fails a run',
  deletemethod: 'a table copied whole is emptied with TRUNCATE, or with DELETE when a foreign key points at it or readers hold it',
  copyextra: 'the COPY statements are the plugin\'s own',
};

/** `params` without Bucardo's options that mean nothing here, and a warning line for each one left out. */
export function withoutBucardoOnlyOptions(params: Readonly<Record<string, string>>): { params: Record<string, string>; warnings: string[] } {
  const kept: Record<string, string> = {};
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    const why = withoutEffect[key.toLowerCase()];
    if (why === undefined) kept[key] = value;
    else warnings.push(`WARNING: ${key}=${value} is one of Bucardo's sync options with no effect here (${why}): left out`);
  }
  return { params: kept, warnings };
}
