/**
 * Call `fn` on every item with at most `limit` calls in flight, starting them in order, and
 * resolve when all have finished. `fn` records its own failures: a rejection rejects the run
 * (the calls already started still run to their end).
 */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
