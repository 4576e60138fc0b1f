import { quiet } from './quiet.js';

/**
 * Yields what `source` yields, asking it for the next item as soon as the caller has the current one:
 * a copy then reads its next batch from the source while the targets write this one, instead of the two
 * taking turns. Holds at most one item more than the caller. A caller that stops early (a target failed)
 * calls `stop` first, which should cut the read in flight short (abort it): the source is closed only
 * once that read has ended.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, stop?: () => void): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let next = quiet(iterator.next());
  let finished = false;
  try {
    for (;;) {
      const result = await next;
      if (result.done) {
        finished = true;
        return;
      }
      next = quiet(iterator.next());
      yield result.value;
    }
  } finally {
    if (!finished) {
      stop?.();
      await next.catch(() => undefined);
      await iterator.return?.();
    }
  }
}
