/** A table (or other relation) by schema and name, exactly as PostgreSQL spells them (no quoting). */
export interface TableRef {
  /** The schema name, unquoted. */
  readonly schema: string;
  /** The table name, unquoted. */
  readonly name: string;
}

/** One column of a replicated table. */
export interface ColumnInfo {
  /** The column name, exactly as PostgreSQL spells it. */
  readonly name: string;
  /** The type as `format_type()` prints it, e.g. `integer`, `character(84)`, `numeric(10,2)`. */
  readonly type: string;
}

/** What a database says about a table: its columns (in table order) and its key. */
export interface TableShape {
  /** The table. */
  readonly table: TableRef;
  /** Every replicated column, in table order (the order of values in row images). */
  readonly columns: readonly ColumnInfo[];
  /** The key columns, in key order: the primary key, else the smallest non-partial unique index. */
  readonly key: readonly ColumnInfo[];
  /** Where the key comes from: `primary key` or the name of the unique index. */
  readonly keySource: string;
  /**
   * Columns merged additively on conflict (`bucardo add table T additive=col`): every database ends with
   * base + the sum of every source's (new - old). Set by the core from the catalog; drivers capture the
   * deltas of these columns.
   */
  readonly additive?: readonly string[];
  /**
   * The tables this table's foreign keys point at, on the database that described it (itself too, for a
   * table pointing at itself: a tree). The core writes tables after those they point at, so that a new
   * child row finds its new parent, and the keys a pointed-at table loses after every other key of the run
   * (`core/src/run/foreign-key-layout.ts`). Optional.
   */
  readonly references?: readonly TableRef[];
}

const plainIdentifier = /^[a-z_][a-z0-9_$]*$/;

/** `schema.name`, each part double-quoted only where PostgreSQL would need it (for display and lookup). */
export function formatTable(table: TableRef): string {
  return `${displayIdentifier(table.schema)}.${displayIdentifier(table.name)}`;
}

/** A stable map key for a table. */
export function tableId(table: TableRef): string {
  return `${table.schema}\u0000${table.name}`;
}

function displayIdentifier(name: string): string {
  return plainIdentifier.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/**
 * Parses what a user typed for a table: `name`, `schema.name`, with double quotes around either part
 * to keep dots, spaces or capitals (`"My Schema"."Order Lines"`). Unquoted parts are kept as typed:
 * PostgreSQL's own folding to lower case is not applied, because users type the names they see in `\dt`.
 */
export function parseTableName(text: string): { schema?: string; name: string } {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { current += '"'; i++; } else { quoted = false; }
      } else current += ch;
    } else if (ch === '"') { quoted = true; }
    else if (ch === '.') { parts.push(current); current = ''; }
    else current += ch;
  }
  if (quoted) throw new SyntaxError(`unterminated quote in table name ${text}`);
  parts.push(current);
  if (parts.some((p) => p.length === 0) || parts.length > 2) throw new SyntaxError(`not a table name: ${text}`);
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! };
}
