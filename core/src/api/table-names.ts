import { BucardoError, formatTable, parseTableName, type TableRef } from '@bucardo/plugin-sdk';

/**
 * The item whose table a user's `t` or `schema.t` names, or undefined when none does (each caller says
 * what "not found" means there); a bare name that fits tables in two schemas is an error asking for it.
 */
export function pickTable<T>(text: string, items: readonly T[], tableOf: (item: T) => TableRef): T | undefined {
  const wanted = parseTableName(text);
  const matches = items.filter((item) => {
    const table = tableOf(item);
    return table.name === wanted.name && (wanted.schema === undefined || table.schema === wanted.schema);
  });
  if (matches.length > 1) throw new BucardoError('INVALID_ARGUMENT', `Table name "${text}" matches ${matches.map((item) => formatTable(tableOf(item))).join(' and ')}: add the schema`, { table: text });
  return matches[0];
}
