/**
 * The line after tables join live syncs: their capture starts now, so the rows already in them reach the
 * other databases only when changed, unless copied; said, as a user expects a table added to a sync to
 * end up equal everywhere.
 */
export function rowsNotCopiedNote(syncs: readonly string[]): string {
  const copy = syncs.map((sync) => `bucardo update sync ${sync} onetimecopy=2`).join(', ');
  return `Note: the rows already in them are not copied, only changes from now on; ${copy} copies them to each target whose table is empty`;
}
