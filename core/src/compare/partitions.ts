import type { PartitionDigests, RowSummary } from '@bucardo/plugin-sdk';

/** Partitions whose rows or digest differ between the reference (first) and any other database, ascending. */
export function differingPartitions(summaries: readonly RowSummary[]): number[] {
  const differing = new Set<number>();
  const [reference, ...others] = summaries;
  for (const other of others) {
    for (const [partition, mine] of reference!.partitions) {
      const theirs = other.partitions.get(partition);
      if (!theirs || theirs.rows !== mine.rows || theirs.digest !== mine.digest) differing.add(partition);
    }
    for (const partition of other.partitions.keys()) if (!reference!.partitions.has(partition)) differing.add(partition);
  }
  return [...differing].sort((a, b) => a - b);
}

/**
 * Walks the databases' row digests partition by partition in step: each stream gives its partitions in
 * ascending order, and each step holds one partition of each database (absent where it has no rows).
 * Every stream is closed when the walk ends, early or not, so that their reads end too. When one fails,
 * `stop` is called first: a stream can only be closed once its pending read is over, which stopping ends.
 */
export async function* inStep(streams: ReadonlyArray<AsyncIterable<PartitionDigests>>, stop: () => void = () => undefined): AsyncGenerator<{ partition: number; rows: Array<PartitionDigests | undefined> }> {
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  try {
    let heads = await Promise.all(iterators.map((iterator) => iterator.next()));
    for (;;) {
      const live = heads.filter((head) => !head.done).map((head) => (head.value as PartitionDigests).partition);
      if (live.length === 0) return;
      const partition = Math.min(...live);
      const rows = heads.map((head) => (!head.done && head.value.partition === partition ? head.value : undefined));
      yield { partition, rows };
      heads = await Promise.all(heads.map((head, index) => (rows[index] ? iterators[index]!.next() : Promise.resolve(head))));
    }
  } catch (error) {
    stop();
    throw error;
  } finally {
    await Promise.allSettled(iterators.map((iterator) => iterator.return?.()));
  }
}
