/** The promise, with its rejection marked as handled until someone awaits it (the run may fail first). */
export function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
