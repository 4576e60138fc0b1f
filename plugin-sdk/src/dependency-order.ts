/**
 * Indexes `0 … waitsFor.length - 1` in an order where each comes after those it waits for (`waitsFor[i]`),
 * and otherwise in index order. A cycle is broken at its first member another waits for (a member of the
 * cycle, not one merely waiting on it), and the rest still follow what they wait for. For tables and their
 * foreign keys: the core writes parents first, a target deletes children first.
 */
export function dependencyOrder(waitsFor: ReadonlyArray<ReadonlySet<number>>): number[] {
  const order: number[] = [];
  const done = new Set<number>();
  const take = (i: number) => {
    order.push(i);
    done.add(i);
  };
  while (done.size < waitsFor.length) {
    let progress = false;
    for (let i = 0; i < waitsFor.length; i++) {
      if (done.has(i) || [...waitsFor[i]!].some((other) => !done.has(other))) continue;
      take(i);
      progress = true;
    }
    if (progress) continue;
    const left = [...waitsFor.keys()].filter((i) => !done.has(i));
    take(left.find((i) => left.some((j) => j !== i && waitsFor[j]!.has(i))) ?? left[0]!);
  }
  return order;
}
