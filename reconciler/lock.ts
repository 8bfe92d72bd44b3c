import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { LockBusyError } from '../lib/errors.js';

/** Name of the pass lock in the TFTP root: every reconciler writing this tree shares it. */
export const LOCK_NAME = '.tbx-reconcile.lock';

/**
 * Take the pass lock on the TFTP share, waiting up to `waitMs`. The lock lives on the share
 * itself so two reconcilers on different hosts cannot overlap either; a holder that was
 * killed leaves a stale lock that is taken over after `staleMs`.
 * Returns the release function; throws {@link LockBusyError} if the lock stays busy.
 */
export async function acquirePassLock(tftpRoot: string, waitMs: number, staleMs = 30_000): Promise<() => Promise<void>> {
  const retries = Math.max(0, Math.ceil(waitMs / 250));
  try {
    return await lockfile.lock(tftpRoot, {
      lockfilePath: join(tftpRoot, LOCK_NAME),
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 3)),
      retries: retries ? { retries, minTimeout: 250, maxTimeout: 250, factor: 1 } : 0,
      realpath: false,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') throw new LockBusyError(`another reconcile pass holds ${join(tftpRoot, LOCK_NAME)}`, err);
    throw err;
  }
}
