/**
 * Rows of these arrays side by side, as `unnest(a, b)` in a FROM clause gives them, but with each array
 * unnested by `pg_catalog.unnest` by name. The server expands a bare multi-argument `unnest` into one
 * `unnest(anyarray)` per array, each looked up on the session's search_path, where a `public.unnest(text[])`
 * someone created matches a text array better than the built-in one, and would run as the sync's role; a
 * qualified `pg_catalog.unnest(a, b)` does not exist.
 */
export function unnestRows(arrays: readonly string[]): string {
  return arrays.length === 1 ? `pg_catalog.unnest(${arrays[0]})` : `ROWS FROM (${arrays.map((array) => `pg_catalog.unnest(${array})`).join(', ')})`;
}
