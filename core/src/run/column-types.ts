/**
 * Whether a column of type `wider` holds every value of a column of type `type` unchanged, for the types
 * a migration widens column by column (Bucardo allows these with a warning: int to bigint, varchar to
 * text, a precision dropped): integers to larger integers or `numeric`, `character varying(n)` to a
 * longer one, `character varying` or `text`, and `numeric(p,s)`, `timestamp(p)`, `time(p)` to the same
 * type without a modifier. Types are `format_type` spellings, as the drivers describe them.
 */
export function holdsEveryValueOf(wider: string, type: string): boolean {
  if (wider === type) return true;
  const from = integerRank(type);
  if (from !== undefined) {
    const to = integerRank(wider);
    return (to !== undefined && to >= from) || wider === 'numeric';
  }
  const varchar = /^character varying\((\d+)\)$/.exec(type);
  if (varchar) {
    const longer = /^character varying\((\d+)\)$/.exec(wider);
    return wider === 'text' || wider === 'character varying' || (longer !== null && Number(longer[1]) >= Number(varchar[1]));
  }
  if (type === 'character varying') return wider === 'text';
  if (type === 'text') return wider === 'character varying';
  // the same type without its modifier: numeric(10,2) → numeric, timestamp(3) without time zone → timestamp without time zone
  const unmodified = type.replace(/\(\d+(,\d+)?\)/, '');
  return unmodified !== type && wider === unmodified;
}

const INTEGERS = ['smallint', 'integer', 'bigint'];

function integerRank(type: string): number | undefined {
  const rank = INTEGERS.indexOf(type);
  return rank === -1 ? undefined : rank;
}
