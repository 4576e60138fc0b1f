/**
 * The line after tables join live syncs: their capture starts now, so the rows already in them reach the
 * other databases only when changed, unless copied; said, as a user expects a table added to a sync to
 * end up equal everywhere.
 */
export function rowsNotCopiedNote(syncs: readonly string[]): string {
  const copy = syncs.map((sync) => `bucardo update sync ${sync} onetimecopy=2`).join(', ');
  // a target that got its first change already is not empty: onetimecopy=2 passes it over (a walk-through's find)
  return `Note: the rows already in them are not copied, only changes from now on; ${copy} copies them to each target whose table is still empty when its next run starts (a change may have reached it first: then onetimecopy=1 copies every table of the sync); a copy goes from the first source to the targets only: rows only another source has reach the others when they change there`;
}
