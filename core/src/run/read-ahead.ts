import { quiet } from './quiet.js';

/**
 * Yields what `source` yields, asking it for the next item as soon as the caller has the current one:
 * a copy then reads its next batch from the source while the targets write this one, instead of the two
 * taking turns. Holds at most one item more than the caller.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let next = quiet(iterator.next());
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = quiet(iterator.next());
      yield result.value;
    }
  } finally {
    // a caller that stops early (a target failed) lets the read in flight end before the source is closed
    await next.catch(() => undefined);
    await iterator.return?.();
  }
}
