/**
 * SQL true while some session holds the run lock (ControlSession.lockSync) of the sync named by the SQL
 * expression `syncName`: a run, or a daemon's ownership of a sync, is alive only while its process holds
 * that lock, whatever the rows say. pg_locks shows the lock's two int4 keys as unsigned oids.
 */
export function syncLockHeld(syncName: string): string {
  return `EXISTS (SELECT 1 FROM pg_locks l
                   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                     AND l.classid = oid(hashtext('bucardo sync')::bigint & 4294967295)
                     AND l.objid = oid(hashtext(${syncName})::bigint & 4294967295))`;
}
