/** The settings that cut a run's work: keys per transaction, change records per key partition. */
export const RUN_SIZE_FIELDS = ['batchSize', 'partitionSize'] as const;

/**
 * The first of `batchSize` and `partitionSize` that is set to something other than a whole number above
 * 0 (which would cut no transaction or partition at all: a planner that never finishes), or undefined.
 */
export function badRunSize(sizes: Readonly<Partial<Record<(typeof RUN_SIZE_FIELDS)[number], unknown>>>): { field: string; value: unknown } | undefined {
  for (const field of RUN_SIZE_FIELDS) {
    const value = sizes[field];
    if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) return { field, value };
  }
  return undefined;
}
