/** The version of the control schema this code reads and writes. */
export const CONTROL_SCHEMA_VERSION = 1;

/**
 * The control database's `bucardo` schema: what the CLI adds (databases, tables, herds, dbgroups,
 * syncs), where each sync's sources were last consumed (checkpoints), and one row per run (syncrun).
 * Names follow Bucardo's rule `^[A-Za-z]\w*$` so that they are safe in every message and file name.
 */
export const controlSchemaSql = `
CREATE SCHEMA IF NOT EXISTS bucardo;

CREATE TABLE IF NOT EXISTS bucardo.bucardo_config (
  name    text PRIMARY KEY,
  setting text NOT NULL,
  changed timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS bucardo.db (
  name    text PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_]*$'),
  type    text NOT NULL DEFAULT 'postgres',
  params  jsonb NOT NULL DEFAULT '{}',
  status  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'stalled')),
  created timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS bucardo.relation (
  id          serial PRIMARY KEY,
  schemaname  text NOT NULL,
  tablename   text NOT NULL,
  reltype     text NOT NULL DEFAULT 'table' CHECK (reltype IN ('table', 'sequence')),
  db          text NOT NULL REFERENCES bucardo.db (name),
  key_columns text[] NOT NULL,
  key_types   text[] NOT NULL,
  key_source  text NOT NULL,
  created     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (schemaname, tablename)
);

CREATE TABLE IF NOT EXISTS bucardo.herd (
  name    text PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_]*$'),
  created timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS bucardo.herd_member (
  herd     text NOT NULL REFERENCES bucardo.herd (name) ON DELETE CASCADE,
  relation integer NOT NULL REFERENCES bucardo.relation (id) ON DELETE CASCADE,
  position integer NOT NULL,
  PRIMARY KEY (herd, relation)
);

CREATE TABLE IF NOT EXISTS bucardo.dbgroup (
  name    text PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_]*$'),
  created timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS bucardo.dbgroup_member (
  dbgroup  text NOT NULL REFERENCES bucardo.dbgroup (name) ON DELETE CASCADE,
  db       text NOT NULL REFERENCES bucardo.db (name),
  role     text NOT NULL,
  position integer NOT NULL,
  PRIMARY KEY (dbgroup, db)
);

CREATE TABLE IF NOT EXISTS bucardo.sync (
  name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_]*$'),
  herd        text NOT NULL REFERENCES bucardo.herd (name),
  dbgroup     text NOT NULL REFERENCES bucardo.dbgroup (name),
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'paused', 'stalled')),
  autokick    boolean NOT NULL DEFAULT true,
  checktime   interval,
  onetimecopy smallint NOT NULL DEFAULT 0,
  conflict_strategy text NOT NULL DEFAULT 'latest',
  created     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS bucardo.checkpoint (
  sync     text NOT NULL REFERENCES bucardo.sync (name) ON DELETE CASCADE,
  db       text NOT NULL REFERENCES bucardo.db (name),
  position text NOT NULL,
  updated  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sync, db)
);

CREATE TABLE IF NOT EXISTS bucardo.syncrun (
  id        bigserial PRIMARY KEY,
  sync      text NOT NULL,
  worker    text NOT NULL,
  started   timestamptz NOT NULL DEFAULT clock_timestamp(),
  ended     timestamptz,
  outcome   text CHECK (outcome IN ('good', 'empty', 'bad')),
  status    text NOT NULL DEFAULT 'Started',
  inserts   bigint NOT NULL DEFAULT 0,
  deletes   bigint NOT NULL DEFAULT 0,
  conflicts bigint NOT NULL DEFAULT 0,
  deferred  bigint NOT NULL DEFAULT 0,
  retries   integer NOT NULL DEFAULT 0,
  details   jsonb,
  error     jsonb
);
CREATE INDEX IF NOT EXISTS syncrun_sync_id ON bucardo.syncrun (sync, id DESC);
-- Columns added after a table was first created are added here, for installations made before them.
ALTER TABLE bucardo.syncrun ADD COLUMN IF NOT EXISTS retries integer NOT NULL DEFAULT 0;
ALTER TABLE bucardo.relation ADD COLUMN IF NOT EXISTS additive_columns text[] NOT NULL DEFAULT '{}';
ALTER TABLE bucardo.syncrun ADD COLUMN IF NOT EXISTS resume jsonb;
-- When the run last moved on (its start, each new phase or batch): status tells a run that waits (a lock on
-- a target) by it, and a run found interrupted ends when it was last heard of, not when it was found. No
-- default: a volatile one would rewrite the table when the column is added.
ALTER TABLE bucardo.syncrun ADD COLUMN IF NOT EXISTS progressed timestamptz;
-- refreshAbove for one sync: NULL takes the config's, 0 never copies a table whole. The check is named,
-- dropped and added again, as a CHECK given with ADD COLUMN IF NOT EXISTS may be added twice on older servers.
ALTER TABLE bucardo.sync ADD COLUMN IF NOT EXISTS refresh_above double precision;
ALTER TABLE bucardo.sync DROP CONSTRAINT IF EXISTS sync_refresh_above_check;
ALTER TABLE bucardo.sync ADD CONSTRAINT sync_refresh_above_check CHECK (refresh_above >= 0 AND refresh_above < 'Infinity');
-- Which request for an initial copy onetimecopy stands for: the transaction that last set it (add sync,
-- update sync … onetimecopy=). A run finishes, and records the progress of, only the copy it was planned
-- with, so that a copy asked for while another runs is neither reset by it nor mistaken for it. A
-- transaction id rather than a counter: a sync removed and added again under its name never repeats one.
ALTER TABLE bucardo.sync ADD COLUMN IF NOT EXISTS copy_request bigint NOT NULL DEFAULT 0;
-- The targets the requested copy goes to (update sync … onetimecopy=N db=T): NULL for every target. One
-- stale target is repaired without emptying, or copying to, the others; cleared when the copy is done.
ALTER TABLE bucardo.sync ADD COLUMN IF NOT EXISTS copy_targets text[];
-- The database a table was found on is informative: removing that database keeps the table.
ALTER TABLE bucardo.relation ALTER COLUMN db DROP NOT NULL;
ALTER TABLE bucardo.relation DROP CONSTRAINT IF EXISTS relation_db_fkey;
ALTER TABLE bucardo.relation ADD CONSTRAINT relation_db_fkey FOREIGN KEY (db) REFERENCES bucardo.db (name) ON DELETE SET NULL;
ALTER TABLE bucardo.dbgroup_member DROP CONSTRAINT IF EXISTS dbgroup_member_role_check;
ALTER TABLE bucardo.dbgroup_member ADD CONSTRAINT dbgroup_member_role_check CHECK (role IN ('source', 'target', 'fullcopy'));

-- makedelta (Bucardo's): the rows syncs write into a database are recorded there as its changes, for the
-- other syncs reading it (cascades, stars). Per database, every table written there; per table 'on', 'off'
-- (either wins over the database's) or the databases it is on for, comma-separated; NULL takes the database's.
ALTER TABLE bucardo.db ADD COLUMN IF NOT EXISTS makedelta boolean NOT NULL DEFAULT false;
ALTER TABLE bucardo.relation ADD COLUMN IF NOT EXISTS makedelta text;

-- Where an initial copy (onetimecopy) of each table stands, so an interrupted copy resumes.
CREATE TABLE IF NOT EXISTS bucardo.copy_progress (
  sync       text NOT NULL REFERENCES bucardo.sync (name) ON DELETE CASCADE,
  schemaname text NOT NULL,
  tablename  text NOT NULL,
  targets    text[] NOT NULL,
  last_key   text,
  rows       bigint NOT NULL DEFAULT 0,
  total      bigint,
  done       boolean NOT NULL DEFAULT false,
  PRIMARY KEY (sync, schemaname, tablename)
);

-- Every settled conflict, for audit and manual resolution (bucardo list conflicts).
CREATE TABLE IF NOT EXISTS bucardo.conflict_log (
  id          bigserial PRIMARY KEY,
  sync        text NOT NULL,
  run_id      bigint NOT NULL,
  tablename   text NOT NULL,
  key         text NOT NULL,
  kind        text NOT NULL,
  candidates  jsonb NOT NULL,
  strategy    text NOT NULL,
  decided_by  text NOT NULL,
  winner      text,
  outcome     text NOT NULL CHECK (outcome IN ('applied', 'merged', 'skipped')),
  recorded    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS conflict_log_sync ON bucardo.conflict_log (sync, id DESC);
-- A composite key's parts (NULL for a one-column key): the key travels with NUL between its parts, which
-- text cannot hold, so \`key\` holds the parts for people to read, \`(r1, 1)\`, and this the exact ones.
ALTER TABLE bucardo.conflict_log ADD COLUMN IF NOT EXISTS key_parts jsonb;

-- Tables written under another name on receiving databases (bucardo add customname), as Bucardo's
-- customname: for one database, one sync, both, or every receiving database (db and sync NULL). A removed
-- table, database or sync takes its custom names with it.
CREATE TABLE IF NOT EXISTS bucardo.customname (
  id         serial PRIMARY KEY,
  relation   integer NOT NULL REFERENCES bucardo.relation (id) ON DELETE CASCADE,
  newschema  text NOT NULL,
  newname    text NOT NULL,
  db         text REFERENCES bucardo.db (name) ON DELETE CASCADE,
  sync       text REFERENCES bucardo.sync (name) ON DELETE CASCADE,
  created    timestamptz NOT NULL DEFAULT now()
);
-- one name per table and scope: two would leave which one applies to chance
CREATE UNIQUE INDEX IF NOT EXISTS customname_scope ON bucardo.customname (relation, coalesce(db, ''), coalesce(sync, ''));

-- A custom select list a table is read with for receiving databases (bucardo add customcols), as Bucardo's
-- customcols: the clause as given (SELECT …), for one database, one sync, both, or every receiving database.
CREATE TABLE IF NOT EXISTS bucardo.customcols (
  id         serial PRIMARY KEY,
  relation   integer NOT NULL REFERENCES bucardo.relation (id) ON DELETE CASCADE,
  clause     text NOT NULL,
  db         text REFERENCES bucardo.db (name) ON DELETE CASCADE,
  sync       text REFERENCES bucardo.sync (name) ON DELETE CASCADE,
  created    timestamptz NOT NULL DEFAULT now()
);
-- one clause per table and scope: two would leave which one applies to chance
CREATE UNIQUE INDEX IF NOT EXISTS customcols_scope ON bucardo.customcols (relation, coalesce(db, ''), coalesce(sync, ''));

-- Running daemons: one row each, with a heartbeat; several daemons on several machines may share this
-- database, and each sync is run by the one holding its advisory lock.
CREATE TABLE IF NOT EXISTS bucardo.daemon (
  id        text PRIMARY KEY,
  host      text NOT NULL,
  pid       integer NOT NULL,
  started   timestamptz NOT NULL DEFAULT now(),
  heartbeat timestamptz NOT NULL DEFAULT now(),
  reason    text
);
-- How often the daemon heartbeats: others call it not responding after a few rounds without one.
ALTER TABLE bucardo.daemon ADD COLUMN IF NOT EXISTS lease_ms integer;

-- Which daemon runs each sync, and how that is going (informative: the advisory lock is the truth).
CREATE TABLE IF NOT EXISTS bucardo.sync_worker (
  sync     text PRIMARY KEY REFERENCES bucardo.sync (name) ON DELETE CASCADE,
  daemon   text NOT NULL,
  since    timestamptz NOT NULL DEFAULT now(),
  state    text NOT NULL DEFAULT 'idle',
  failures integer NOT NULL DEFAULT 0,
  retry_at timestamptz
);

-- Requests to run a sync (bucardo kick); the run that serves a request records itself in run_id.
CREATE TABLE IF NOT EXISTS bucardo.kick_request (
  id        bigserial PRIMARY KEY,
  sync      text NOT NULL REFERENCES bucardo.sync (name) ON DELETE CASCADE,
  requested timestamptz NOT NULL DEFAULT clock_timestamp(),
  requester text NOT NULL,
  run_id    bigint
);
CREATE INDEX IF NOT EXISTS kick_request_pending ON bucardo.kick_request (sync) WHERE run_id IS NULL;

-- Requests to reload a daemon (bucardo reload), which SIGHUP only wakes: the daemon answers each one it
-- finds when it reloads, with NULL error when it took the new config and plugins, else the error that kept
-- it on its running ones, so that the command can say which.
CREATE TABLE IF NOT EXISTS bucardo.reload_request (
  id        bigserial PRIMARY KEY,
  daemon    text NOT NULL,
  requested timestamptz NOT NULL DEFAULT clock_timestamp(),
  requester text NOT NULL,
  answered  timestamptz,
  error     jsonb
);
CREATE INDEX IF NOT EXISTS reload_request_pending ON bucardo.reload_request (daemon) WHERE answered IS NULL;

-- Lines for the daemons' logs (bucardo message, Bucardo's bucardo_log_message): kept until a daemon has
-- logged them, so that one sent while no daemon runs is logged when one starts.
CREATE TABLE IF NOT EXISTS bucardo.log_message (
  id       bigserial PRIMARY KEY,
  message  text NOT NULL,
  sent     timestamptz NOT NULL DEFAULT clock_timestamp(),
  sender   text NOT NULL
);
`;
