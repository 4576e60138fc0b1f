import { createHash } from 'node:crypto';
import type pg from 'pg';
import { BucardoError, formatTable, tableId, type Checkpoint, type TableRef, type TableShape } from '@bucardo/plugin-sdk';
import { CAPTURE_SCHEMA, CAPTURE_TRIGGER, CAPTURING_FUNCTION, SKIP_CAPTURE_SETTING, TRUNCATE_FUNCTION, TRUNCATE_LOG, TRUNCATE_TRIGGER, MADE_DELTA, MADE_DELTA_SQL, additiveColumn, captureNames, qualified } from './capture-names.js';
import { lockCaptureChanges } from './capture-lock.js';
import { marksTableExists } from './marks-table.js';
import { quoteIdent, quoteLiteral } from './connect.js';
import { maySetDeadlockTimeout, RUN_DEADLOCK_TIMEOUT } from './deadlock-victim.js';
import { unnestRows } from './unnest.js';

/** How long installing capture waits for a table's lock. */
const INSTALL_LOCK_WAIT = '5s';

/** SQLSTATE deadlock_detected. */
const DEADLOCK = '40P01';

/** How many times an install that deadlocked with the application's transactions is tried again. */
const INSTALL_DEADLOCK_RETRIES = 3;

/**
 * Installs capture for tables on a source: per table a delta table (the key columns, the operation, the
 * transaction id, the change time) filled by an AFTER ROW trigger. No NOTIFY anywhere: a NOTIFY in user
 * transactions serialises every committing writer on one lock.
 *
 * Returns the snapshot taken in the installing transaction: every transaction that can fire the new
 * triggers is still running or not yet started in it, so reading from this checkpoint misses nothing.
 */
export async function installCapture(client: pg.Client, shapes: readonly TableShape[], db: string): Promise<Checkpoint> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await installOnce(client, shapes);
    } catch (error) {
      if ((error as { code?: string }).code !== DEADLOCK) throw error;
      if (attempt > INSTALL_DEADLOCK_RETRIES) {
        throw new BucardoError('CAPTURE_FAILED', `Installing capture on database "${db}" deadlocked with the application's transactions ${attempt} times in a row (${(error as Error).message}): nothing was changed; try again when fewer transactions write ${shapes.map((shape) => formatTable(shape.table)).join(', ')}`, { db, table: formatTable(shapes[0]!.table), cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

async function installOnce(client: pg.Client, shapes: readonly TableShape[]): Promise<Checkpoint> {
  await client.query('BEGIN');
  try {
    await lockCaptureChanges(client);
    // a trigger's (re)creation takes the table's exclusive lock: waiting behind one open transaction would
    // hold up every reader and writer of the table meanwhile, so the wait is bounded and said
    await client.query(`SET LOCAL lock_timeout = '${INSTALL_LOCK_WAIT}'`);
    // in a deadlock with an application's transaction, the install is the one rolled back (and tried again)
    if (await maySetDeadlockTimeout(client)) await client.query(`SET LOCAL deadlock_timeout = '${RUN_DEADLOCK_TIMEOUT}'`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(CAPTURE_SCHEMA)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(CAPTURE_SCHEMA)}.capture_table (
      schemaname text NOT NULL, tablename text NOT NULL, delta_table text NOT NULL, key_columns text[] NOT NULL,
      installed timestamptz NOT NULL DEFAULT pg_catalog.now(), PRIMARY KEY (schemaname, tablename))`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${TRUNCATE_LOG} (
      schemaname text NOT NULL, tablename text NOT NULL,
      bucardo_txid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(), truncated_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp())`);
    // IF NOT EXISTS locks the table before it looks: not asked when the index is there
    if (!(await exists(client, `${CAPTURE_SCHEMA}.truncate_log_txid`))) await client.query(`CREATE INDEX IF NOT EXISTS truncate_log_txid ON ${TRUNCATE_LOG} (bucardo_txid)`);
    if (!(await hasDefinitionColumn(client))) await client.query(`ALTER TABLE ${quoteIdent(CAPTURE_SCHEMA)}.capture_table ADD COLUMN IF NOT EXISTS definition text`);
    await client.query(MADE_DELTA_SQL);
    // the role the skip is honoured for: the schema's owner, who installs capture and writes the sync's rows
    const owner = await client.query<{ oid: string }>(`SELECT nspowner::oid::text AS oid FROM pg_catalog.pg_namespace WHERE nspname = $1`, [CAPTURE_SCHEMA]);
    await client.query(capturingFunctionSql(owner.rows[0]!.oid));
    await client.query(`CREATE OR REPLACE FUNCTION ${TRUNCATE_FUNCTION}() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $bucardo$
      BEGIN
        INSERT INTO ${TRUNCATE_LOG} (schemaname, tablename) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME);
        RETURN NULL;
      END $bucardo$`);
    await refusePartitioned(client, shapes);
    // installed as this version would install it, triggers enabled: nothing to do, and no lock taken on a
    // table the application is writing (a refresh after add table, update dbgroup, runs ask again)
    const whole = await installedAs(client, shapes);
    for (const shape of shapes.filter((candidate) => !whole.has(tableId(candidate.table)))) {
      await installTable(client, shape).catch((error: unknown) => {
        if ((error as { code?: string }).code !== '55P03') throw error;
        throw new BucardoError('CAPTURE_FAILED', `Could not lock table "${formatTable(shape.table)}" within ${INSTALL_LOCK_WAIT} to install its capture: a transaction holds it (pg_stat_activity shows which); nothing was changed, try again once it ends`, { table: formatTable(shape.table), cause: error });
      });
    }
    const snapshot = await client.query<{ snapshot: string }>('SELECT pg_catalog.pg_current_snapshot()::text AS snapshot');
    await client.query('COMMIT');
    return snapshot.rows[0]!.snapshot;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * A partitioned table (`PARTITION BY`) holds no rows of its own: they are in its partitions, which this
 * plugin reads and writes as tables of their own (`ONLY`, so that a parent of legacy inheritance is not
 * read with its children). Captured through the parent, a sync would read no row and write none, and its
 * runs would say empty: refused, naming the partitions to add instead.
 */
async function refusePartitioned(client: pg.Client, shapes: readonly TableShape[]): Promise<void> {
  const { rows } = await client.query<{ name: string; leaves: string | null }>(
    `SELECT s.name, (SELECT pg_catalog.string_agg(pg_catalog.format('%I.%I', n.nspname, c.relname), ' ' ORDER BY c.relname)
                       FROM pg_catalog.pg_partition_tree(s.name::regclass) AS t
                       JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                      WHERE t.isleaf) AS leaves
       FROM pg_catalog.unnest($1::text[]) AS s(name)
      WHERE (SELECT relkind FROM pg_catalog.pg_class WHERE oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(s.name)) = 'p'`,
    [shapes.map((shape) => qualified(shape.table))]);
  const [first] = rows;
  if (!first) return;
  const table = formatTable(shapes.find((shape) => qualified(shape.table) === first.name)!.table);
  throw new BucardoError('CAPTURE_FAILED', `Table "${table}" is partitioned (PARTITION BY): its rows are in its partitions, which are synced as tables of their own. Remove it from the herd and add its partitions instead${first.leaves ? ` (bucardo add table ${first.leaves} herd=…)` : ''}: a row moved between partitions is a delete in one and an insert in the other, and arrives as such`, { table });
}

async function installTable(client: pg.Client, shape: TableShape): Promise<void> {
  const names = captureNames(shape.table);
  const keyNames = shape.key.map((column) => column.name);
  const statements = tableStatements(shape);
  const definition = definitionOf(shape);
  // the table first, then its delta table, in the order the application's writes take them (the trigger
  // inserts into the delta table): taken the other way round, each waited for the other
  await client.query(`LOCK TABLE ${qualified(shape.table)} IN ACCESS EXCLUSIVE MODE`);
  const registered = await client.query<{ key_columns: string; same: string }>(
    `SELECT key_columns::text, key_columns OPERATOR(pg_catalog.=) $3::text[] AS same FROM ${quoteIdent(CAPTURE_SCHEMA)}.capture_table WHERE schemaname = $1 AND tablename = $2`,
    [shape.table.schema, shape.table.name, keyNames],
  );
  const existing = registered.rows[0];
  if (existing && existing.same !== 't') {
    throw new BucardoError('CAPTURE_FAILED', `The key of table "${formatTable(shape.table)}" changed since capture was installed (was ${existing.key_columns}): remove and re-add the table`, { table: formatTable(shape.table) });
  }
  for (const statement of statements) await client.query(statement);
  await client.query(
    `INSERT INTO ${quoteIdent(CAPTURE_SCHEMA)}.capture_table (schemaname, tablename, delta_table, key_columns, definition) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (schemaname, tablename) DO UPDATE SET delta_table = EXCLUDED.delta_table, key_columns = EXCLUDED.key_columns, definition = EXCLUDED.definition`,
    [shape.table.schema, shape.table.name, names.deltaName, keyNames, definition],
  );
}

/** What installs a table's capture, in order: its delta table, index, trigger function and triggers. */
function tableStatements(shape: TableShape): string[] {
  const names = captureNames(shape.table);
  const keyDefinitions = shape.key.map((column) => `${quoteIdent(column.name)} ${deltaKeyType(column.type)} NOT NULL`).join(', ');
  return [
    `CREATE TABLE IF NOT EXISTS ${names.delta} (
    ${keyDefinitions},
    bucardo_op "char" NOT NULL,
    bucardo_txid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    bucardo_changed_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp())`,
    `CREATE INDEX IF NOT EXISTS ${names.txidIndex} ON ${names.delta} (bucardo_txid)`,
    ...(shape.additive ?? []).map((column) => `ALTER TABLE ${names.delta} ADD COLUMN IF NOT EXISTS ${additiveColumn(column)} numeric`),
    captureFunctionSql(shape),
    `DROP TRIGGER IF EXISTS ${quoteIdent(CAPTURE_TRIGGER)} ON ${qualified(shape.table)}`,
    `CREATE TRIGGER ${quoteIdent(CAPTURE_TRIGGER)} AFTER INSERT OR UPDATE OR DELETE ON ${qualified(shape.table)}
    FOR EACH ROW WHEN (${CAPTURING_FUNCTION}()) EXECUTE FUNCTION ${names.function}()`,
    `DROP TRIGGER IF EXISTS ${quoteIdent(TRUNCATE_TRIGGER)} ON ${qualified(shape.table)}`,
    `CREATE TRIGGER ${quoteIdent(TRUNCATE_TRIGGER)} AFTER TRUNCATE ON ${qualified(shape.table)}
    FOR EACH STATEMENT WHEN (${CAPTURING_FUNCTION}()) EXECUTE FUNCTION ${TRUNCATE_FUNCTION}()`,
  ];
}

/** The digest of a table's install: its key and its statements, recorded with it in `capture_table`. */
function definitionOf(shape: TableShape): string {
  return createHash('sha256').update(JSON.stringify([shape.key.map((column) => column.name), tableStatements(shape)])).digest('hex');
}

/**
 * The tables (by `tableId`) whose capture is installed by these very statements (their digest, recorded by
 * the install) and is whole: the delta table's index there, both triggers there and firing. A trigger a
 * user disabled or dropped, a delta table dropped, or an install by another version: installed again. One
 * statement for all the tables.
 */
async function installedAs(client: pg.Client, shapes: readonly TableShape[]): Promise<Set<string>> {
  const { rows } = await client.query<{ schemaname: string; tablename: string }>(
    `SELECT c.schemaname, c.tablename
       FROM ${unnestRows(['$1::text[]', '$2::text[]', '$3::text[]', '$4::text[]', '$5::text[]'])} AS s(schemaname, tablename, definition, txid_index, relation)
       JOIN ${quoteIdent(CAPTURE_SCHEMA)}.capture_table c USING (schemaname, tablename)
      WHERE c.definition = s.definition
        AND pg_catalog.to_regclass(s.txid_index) IS NOT NULL
        AND (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger t
              WHERE t.tgrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(s.relation) AND t.tgname IN ($6, $7) AND t.tgenabled = 'O') = 2`,
    [shapes.map((shape) => shape.table.schema), shapes.map((shape) => shape.table.name), shapes.map(definitionOf),
      shapes.map((shape) => `${quoteIdent(CAPTURE_SCHEMA)}.${captureNames(shape.table).txidIndex}`), shapes.map((shape) => qualified(shape.table)),
      CAPTURE_TRIGGER, TRUNCATE_TRIGGER]);
  return new Set(rows.map((row) => tableId({ schema: row.schemaname, name: row.tablename })));
}

async function exists(client: pg.Client, relation: string): Promise<boolean> {
  return (await client.query<{ found: string }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS found', [relation])).rows[0]?.found === 't';
}

/** Whether capture_table records the digest of each table's install (installs made before it did not). */
async function hasDefinitionColumn(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ found: string }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1) AND attname = 'definition' AND NOT attisdropped) AS found`,
    [`${CAPTURE_SCHEMA}.capture_table`]);
  return rows[0]?.found === 't';
}

/**
 * The type a delta table keeps a key column in: the column's own, or a wider one of the same values where
 * a migration commonly widens the column (integers to bigint, a length or precision dropped). A key column
 * widened on the table (int to bigint, the classic one) then goes on being captured: a delta column of its
 * old type would fail the application's writes of the values only the new type holds, in the trigger.
 * Key texts read back are the same either way (an int and a bigint print alike).
 */
export function deltaKeyType(type: string): string {
  if (type === 'smallint' || type === 'integer') return 'bigint';
  if (/^character varying\(\d+\)$/.test(type)) return 'character varying';
  if (/^numeric\(\d+(,\d+)?\)$/.test(type)) return 'numeric';
  return type;
}

/**
 * Whether this transaction's writes are captured: not while the apply has set `SKIP_CAPTURE_SETTING`, and
 * only for the sync's own role. Any role may set a custom setting: honoured for every role, it let an
 * application that may write a table (and nothing else) make changes the sync never sees, and the
 * databases drift apart silently. So the skip holds only for members of `ownerOid`, the role that owns the
 * `bucardo` schema (it installs capture and writes the sync's rows; a superuser is a member of every
 * role). One expression, whose OR asks the membership only when the setting is on: an application's write
 * costs what it did (capture's overhead 33.9 % of a TPC-B transaction's instructions before, 34.2 % with
 * it), and a row the sync writes into a source about 900 instructions (2.5 %) more, where an IF and a
 * second RETURN cost twice that (bench/RESULTS.md, 2026-11-28). By OID, which a role keeps when renamed.
 * PL/pgSQL, not SQL: the server would inline an SQL function into every statement's `WHEN`, parsing its
 * body each time. `SECURITY INVOKER` without a fixed `search_path` (a `SET` clause costs a save and restore
 * per call), so every name in it is qualified (`OPERATOR(pg_catalog.<>)`, not a `<>` that a caller's
 * search_path could resolve to an operator of their own). EXECUTE is granted to PUBLIC explicitly: every
 * role that writes a captured table evaluates it.
 */
export function capturingFunctionSql(ownerOid: string): string {
  if (!/^\d+$/.test(ownerOid)) throw new Error(`not an OID: ${ownerOid}`);
  return `CREATE OR REPLACE FUNCTION ${CAPTURING_FUNCTION}() RETURNS boolean LANGUAGE plpgsql STABLE AS $bucardo$
BEGIN
  RETURN COALESCE(pg_catalog.current_setting(${quoteLiteral(SKIP_CAPTURE_SETTING)}, true) OPERATOR(pg_catalog.<>) 'on', true)
    OR NOT pg_catalog.pg_has_role(${ownerOid}::pg_catalog.oid, 'MEMBER');
END $bucardo$;
GRANT EXECUTE ON FUNCTION ${CAPTURING_FUNCTION}() TO PUBLIC`;
}

/**
 * The trigger function: one delta row per changed row; an update that changes the key is recorded as a
 * delete of the old key and an insert of the new one. SECURITY DEFINER so that users who may write the
 * table need no rights on the delta table.
 */
function captureFunctionSql(shape: TableShape): string {
  const names = captureNames(shape.table);
  const additive = shape.additive ?? [];
  const columns = [...shape.key.map((column) => quoteIdent(column.name)), 'bucardo_op', ...additive.map(additiveColumn)].join(', ');
  const keyValues = (row: 'NEW' | 'OLD') => shape.key.map((column) => `${row}.${quoteIdent(column.name)}`).join(', ');
  // An insert adds its values, a delete takes its old values away, an update adds new - old.
  const deltas = (kind: 'insert' | 'delete' | 'update') => additive.map((name) => {
    const column = quoteIdent(name);
    if (kind === 'insert') return `coalesce(NEW.${column}, 0)`;
    if (kind === 'delete') return `-coalesce(OLD.${column}, 0)`;
    return `coalesce(NEW.${column}, 0) - coalesce(OLD.${column}, 0)`;
  });
  const insert = (row: 'NEW' | 'OLD', op: string, kind: 'insert' | 'delete' | 'update') =>
    `INSERT INTO ${names.delta} (${columns}) VALUES (${[keyValues(row), `'${op}'`, ...deltas(kind)].join(', ')});`;
  const keyChanged = shape.key.length === 1
    ? `NEW.${quoteIdent(shape.key[0]!.name)} IS DISTINCT FROM OLD.${quoteIdent(shape.key[0]!.name)}`
    : `ROW(${keyValues('NEW')}) IS DISTINCT FROM ROW(${keyValues('OLD')})`;
  const body = `
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${insert('NEW', 'I', 'insert')}
  ELSIF TG_OP = 'UPDATE' THEN
    IF ${keyChanged} THEN
      ${insert('OLD', 'D', 'delete')}
      ${insert('NEW', 'I', 'insert')}
    ELSE
      ${insert('NEW', 'U', 'update')}
    END IF;
  ELSE
    ${insert('OLD', 'D', 'delete')}
  END IF;
  RETURN NULL;
END
`;
  // Column names are quoted identifiers, but a name may contain "$bucardo$": the quote must not end early.
  let tag = '$bucardo$';
  for (let n = 1; body.includes(tag); n++) tag = `$bucardo_${n}$`;
  return `CREATE OR REPLACE FUNCTION ${names.function}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS ${tag}${body}${tag}`;
}

/**
 * Removes capture from tables no sync reads any more: the triggers, the trigger function, the delta table
 * and the truncate records; the `bucardo` schema goes too once nothing is captured on this database.
 */
export async function removeCapture(client: pg.Client, tables: readonly TableRef[]): Promise<void> {
  await client.query('BEGIN');
  try {
    await lockCaptureChanges(client);
    const hasSchema = await client.query<{ found: string }>(`SELECT pg_catalog.to_regclass('${CAPTURE_SCHEMA}.capture_table') IS NOT NULL AS found`);
    if (hasSchema.rows[0]?.found !== 't') {
      await client.query('COMMIT');
      return;
    }
    // a capture made before makedelta has no marks table
    const marked = await marksTableExists(client);
    for (const table of tables) {
      const names = captureNames(table);
      // the table by its name, and wherever the capture function fires: a table renamed since
      // (ALTER TABLE … RENAME) keeps its triggers, which kept the function from being dropped
      const { rows } = await client.query<{ relation: string }>(
        `SELECT pg_catalog.to_regclass($1)::text AS relation WHERE pg_catalog.to_regclass($1) IS NOT NULL
         UNION SELECT t.tgrelid::regclass::text FROM pg_catalog.pg_trigger t WHERE t.tgfoid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure($2)`,
        [qualified(table), `${names.function}()`],
      );
      for (const { relation } of rows) {
        await client.query(`DROP TRIGGER IF EXISTS ${quoteIdent(CAPTURE_TRIGGER)} ON ${relation}`);
        await client.query(`DROP TRIGGER IF EXISTS ${quoteIdent(TRUNCATE_TRIGGER)} ON ${relation}`);
      }
      await client.query(`DROP FUNCTION IF EXISTS ${names.function}()`);
      await client.query(`DROP TABLE IF EXISTS ${names.delta}`);
      await client.query(`DELETE FROM ${quoteIdent(CAPTURE_SCHEMA)}.capture_table WHERE schemaname = $1 AND tablename = $2`, [table.schema, table.name]);
      await client.query(`DELETE FROM ${TRUNCATE_LOG} WHERE schemaname = $1 AND tablename = $2`, [table.schema, table.name]);
      if (marked) await client.query(`DELETE FROM ${MADE_DELTA} WHERE schemaname = $1 AND tablename = $2`, [table.schema, table.name]);
    }
    const left = await client.query<{ n: string }>(`SELECT pg_catalog.count(*) AS n FROM ${quoteIdent(CAPTURE_SCHEMA)}.capture_table`);
    if (left.rows[0]?.n === '0') await client.query(`DROP SCHEMA ${quoteIdent(CAPTURE_SCHEMA)} CASCADE`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
