import v8 from 'node:v8';

/**
 * V8 lets the heap grow up to about four times what survived the last full collection before collecting
 * again. A long run creates garbage at the rate it moves rows (every batch's fetched rows, key lists and
 * COPY messages), so a million-row backlog peaked near 450 MB, mostly garbage, where 40 % growth keeps it
 * under 250 MB at the same speed (measured: `npm run bench`, backlog). A heap flag the user gave wins.
 */
export function boundHeapGrowth(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  if (/heap-growing-percent|optimize-for-size/.test(given)) return;
  v8.setFlagsFromString('--heap-growing-percent=40');
}
