/** The settings that cut a run's work (keys per transaction, change records per key partition) and choose how it applies it. */
export const RUN_SIZE_FIELDS = ['batchSize', 'partitionSize', 'refreshAbove'] as const;

type RunSizeField = (typeof RUN_SIZE_FIELDS)[number];

/** What each field must be, as the error says it. */
const RULES: Readonly<Record<RunSizeField, { readonly text: string; readonly ok: (value: number) => boolean }>> = {
  // 0 would cut no transaction or partition at all: a planner that never finishes
  batchSize: { text: 'a whole number above 0', ok: (value) => Number.isSafeInteger(value) && value > 0 },
  partitionSize: { text: 'a whole number above 0', ok: (value) => Number.isSafeInteger(value) && value > 0 },
  // a fraction of a table's rows; 0 would copy every changed table whole on every run
  refreshAbove: { text: 'a number above 0 (a fraction of a table\'s rows, such as 0.5)', ok: (value) => Number.isFinite(value) && value > 0 },
};

/** The first of the run's settings that is set to something its rule refuses, with the rule, or undefined. */
export function badRunSize(sizes: Readonly<Partial<Record<RunSizeField, unknown>>>): { field: string; value: unknown; rule: string } | undefined {
  for (const field of RUN_SIZE_FIELDS) {
    const value = sizes[field];
    if (value !== undefined && !(typeof value === 'number' && RULES[field].ok(value))) return { field, value, rule: RULES[field].text };
  }
  return undefined;
}
