import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { LockBusyError } from './errors.js';
import { isProcessAlive } from './process-alive.js';

/** How to take a lock. */
export interface LockOptions {
  /** Lock directory to create (proper-lockfile's mkdir lock, safe on NFS). */
  lockPath: string;
  /** Give up after this long (0: one try). */
  waitMs: number;
  /** A holder that stopped refreshing for this long is presumed dead (another host, or a hung process). */
  staleMs: number;
  /** Called once, when the lock is first found held and there is time to wait: who holds it, if recorded. */
  onBusy?: (holder: { host: string; pid: number } | undefined) => void;
}

interface Owner {
  host: string;
  pid: number;
  token: string;
}

/** Who holds the lock, beside it (proper-lockfile removes its directory with rmdir, so it must stay empty). */
const ownerFile = (lockPath: string) => `${lockPath}.owner`;

/**
 * Take an exclusive lock, proper-lockfile style (an mkdir'd directory, refreshed while held),
 * and record who holds it. A holder on this host whose process is gone (killed with SIGKILL)
 * is recognised at once instead of after `staleMs`, so a crashed pass never stalls the next
 * one. Returns the release function; throws {@link LockBusyError} when it stays held.
 */
export async function acquireLock(target: string, options: LockOptions): Promise<() => Promise<void>> {
  const deadline = Date.now() + options.waitMs;
  let told = false;
  for (;;) {
    await breakIfDead(options.lockPath);
    try {
      const release = await lockfile.lock(target, {
        lockfilePath: options.lockPath,
        stale: options.staleMs,
        update: Math.max(1000, Math.floor(options.staleMs / 3)),
        retries: 0,
        realpath: false,
      });
      await writeFile(ownerFile(options.lockPath), JSON.stringify({ host: hostname(), pid: process.pid, token: randomBytes(8).toString('hex') } satisfies Owner));
      return async () => {
        await rm(ownerFile(options.lockPath), { force: true });
        await release();
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (Date.now() >= deadline) throw new LockBusyError(`${options.lockPath} is held by another process`, err);
      if (!told) {
        told = true;
        const o = await readOwner(options.lockPath);
        options.onBusy?.(o ? { host: o.host, pid: o.pid } : undefined);
      }
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 150)));
    }
  }
}

/**
 * Remove a lock whose recorded holder ran on this host and no longer exists. The lock is
 * first renamed aside (atomic), then its owner is checked again, so a lock that a live
 * process took meanwhile is put back rather than lost.
 */
async function breakIfDead(lockPath: string): Promise<void> {
  const owner = await readOwner(lockPath);
  if (!owner || owner.host !== hostname() || isProcessAlive(owner.pid)) return;
  const aside = `${lockPath}.dead-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // no lock directory, or someone else broke it first
  }
  const now = await readOwner(lockPath);
  if (now && now.token !== owner.token) {
    // A live process took the lock between our read and the rename: give it back.
    await rename(aside, lockPath).catch(() => undefined);
    return;
  }
  await rm(aside, { recursive: true, force: true });
}

async function readOwner(lockPath: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(ownerFile(lockPath), 'utf8')) as Owner;
  } catch {
    return undefined; // no lock, or a holder still writing its owner file: treat as live
  }
}

