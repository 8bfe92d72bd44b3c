import { join } from 'node:path';
import { acquireLock, type LockOptions } from '../lib/lock.js';

/** Name of the pass lock in the TFTP root: every reconciler writing this tree shares it. */
export const LOCK_NAME = '.tbx-reconcile.lock';

/**
 * Take the pass lock on the TFTP share, waiting up to `waitMs`. The lock lives on the share
 * itself so two reconcilers on different hosts cannot overlap either. A pass killed on this
 * host is detected at once; one on another host after `staleMs` without a refresh.
 * `onBusy` hears once that the pass has to wait, and for whom.
 * Returns the release function; throws {@link LockBusyError} if the lock stays busy.
 */
export async function acquirePassLock(tftpRoot: string, waitMs: number, staleMs = 30_000, onBusy?: LockOptions['onBusy']): Promise<() => Promise<void>> {
  return acquireLock(tftpRoot, { lockPath: join(tftpRoot, LOCK_NAME), waitMs, staleMs, ...(onBusy ? { onBusy } : {}) });
}
