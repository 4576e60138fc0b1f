/**
 * Waits for every one of `work` to finish, then throws the first failure, if any. Several databases are
 * written in parallel, and the caller rolls them all back on a failure: a ROLLBACK sent while another
 * database's write is half-way through would run between its statements, and the rest would then run
 * outside the transaction and be committed.
 */
export async function settleAll<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}
