/** Something to undo when a scenario ends. */
export type Cleanup = () => unknown;

/**
 * Cleanups run last-in, first-out, like nested `finally` blocks: what was set up last (a
 * QEMU, a server using a directory) is torn down before what it depends on (the temp dir).
 * node:test runs `t.after` hooks in registration order, which is the wrong way round for
 * that, so a site registers one hook that runs this stack.
 */
export class CleanupStack {
  private readonly steps: Cleanup[] = [];

  /** Register `fn`; it runs before everything registered earlier. */
  defer(fn: Cleanup): void {
    this.steps.push(fn);
  }

  /**
   * Run and forget every registered cleanup, newest first. One failing does not stop the
   * others; the failures are thrown together at the end.
   */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (let fn = this.steps.pop(); fn; fn = this.steps.pop()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length) throw new AggregateError(errors, `${errors.length} cleanups failed`);
  }
}
