import { BucardoError, isBucardoError, type DatabaseRole } from '@bucardo/plugin-sdk';
import type { DatabaseRow, DbGroupMember, DbGroupRow } from '../control/catalog-rows.js';
import type { BucardoContext } from './context.js';
import { checkName } from './names.js';
import { fullcopyRefusal } from './truncate-warnings.js';

const roleAliases: Record<string, DatabaseRole> = {
  source: 'source', master: 'source', s: 'source', m: 'source',
  target: 'target', slave: 'target', replica: 'target', rep: 'target', t: 'target', tar: 'target',
  fullcopy: 'fullcopy', f: 'fullcopy',
};

/** Parses `db[:role]`; the role defaults to `defaultRole`. Bucardo's aliases (master, slave, …) are accepted. */
export function parseMember(text: string, defaultRole: DatabaseRole): DbGroupMember {
  const [db, role, ...rest] = text.split(':');
  if (!db || rest.length > 0) throw new BucardoError('INVALID_ARGUMENT', `"${text}" is not DB or DB:ROLE`, { item: text });
  if (role === undefined || role === '') return { db, role: defaultRole };
  const normalized = roleAliases[role.toLowerCase()];
  if (!normalized) {
    throw new BucardoError('INVALID_ARGUMENT', `Unknown role "${role}" for database "${db}": use source, target or fullcopy`, { db, item: role });
  }
  return { db, role: normalized };
}

/** The rows of databases `names`, refusing one never added (DB_NOT_FOUND, saying where it was named: `label`). */
export async function requireDatabases(ctx: BucardoContext, names: readonly string[], label: string): Promise<DatabaseRow[]> {
  const databases = await ctx.control.catalog.databases();
  return names.map((name) => {
    const row = databases.find((db) => db.name === name);
    if (!row) throw new BucardoError('DB_NOT_FOUND', `There is no database named "${name}" (${label})`, { db: name });
    return row;
  });
}

/** Checks that every member exists, appears once, can play its role, and that there is a source. */
export async function checkMembers(ctx: BucardoContext, members: readonly DbGroupMember[], label: string): Promise<void> {
  const rows = await requireDatabases(ctx, members.map((member) => member.db), `in ${label}`);
  const seen = new Set<string>();
  for (const [index, member] of members.entries()) {
    const row = rows[index]!;
    if (seen.has(member.db)) throw new BucardoError('INVALID_ARGUMENT', `Database "${member.db}" is listed twice in ${label}`, { db: member.db });
    seen.add(member.db);
    const driver = ctx.engine.registry.database(row.type);
    if (member.role === 'source' && !driver.source) {
      throw new BucardoError('DB_ROLE_UNSUPPORTED', `Database "${member.db}" (type ${row.type}) can only be a target, not a source`, { db: member.db });
    }
    const refused = fullcopyRefusal(ctx.engine.registry, { name: member.db, role: member.role, type: row.type }, label);
    if (refused) throw refused;
  }
}

/** `bucardo add dbgroup NAME db1:source db2:source db3:target …`. */
export async function addDbGroup(ctx: BucardoContext, name: string, memberTexts: readonly string[]): Promise<DbGroupRow> {
  checkName('dbgroup', name);
  if (memberTexts.length === 0) throw new BucardoError('INVALID_ARGUMENT', `Name the databases of dbgroup "${name}", e.g. A:source B:target`, { dbgroup: name });
  const members = memberTexts.map((text) => parseMember(text, 'target'));
  await checkMembers(ctx, members, `dbgroup "${name}"`);
  await ctx.control.transaction(() => ctx.control.catalog.insertDbGroup(name, members)).catch((error: unknown) => {
    // Bucardo's add dbgroup on an existing one adds the databases; here that is update dbgroup's, which checks its syncs
    if (isBucardoError(error) && error.code === 'DUPLICATE_NAME') {
      throw new BucardoError('DUPLICATE_NAME', `${error.message}: bucardo update dbgroup ${name} ${memberTexts.join(' ')} adds databases to it`, error.subject);
    }
    throw error;
  });
  return { name, members, syncs: [] };
}

export function listDbGroups(ctx: BucardoContext): Promise<DbGroupRow[]> {
  return ctx.control.catalog.dbgroups();
}
