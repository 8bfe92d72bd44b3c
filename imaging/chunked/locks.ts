import { mkdir, readdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LockBusyError } from '../../lib/errors.js';
import type { StorePaths } from './layout.js';

/** A lock not refreshed for this long belongs to a crashed process and is ignored. */
export const STALE_MS = 15 * 60 * 1000;
const REFRESH_MS = 60 * 1000;

/** A held store lock. */
export interface StoreLock {
  release(): Promise<void>;
  /** The live locks of others that conflict with this one now (gc re-checks before it deletes). */
  conflicts(): Promise<string[]>;
}

/**
 * Lock the chunk store, restic-style, with files that work on NFS: backups and restores take
 * `shared` locks (many at once), gc takes the `exclusive` one. Each side creates its own lock
 * file first and then looks for the other kind, so two racing sides both back off rather than
 * both proceed. Shared lockers wait up to `waitMs` for an exclusive lock to go; an exclusive
 * locker never waits. Locks are refreshed every minute and go stale after 15 minutes.
 */
export async function lockStore(store: StorePaths, kind: 'shared' | 'exclusive', options: { waitMs?: number; pollMs?: number } = {}): Promise<StoreLock> {
  await mkdir(store.locks, { recursive: true });
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    const name = `${kind}-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}.lock`;
    const path = join(store.locks, name);
    await writeFile(path, `${JSON.stringify({ kind, host: hostname(), pid: process.pid, since: new Date().toISOString() })}\n`, { flag: 'wx' });
    const conflicts = async () => {
      const others = await liveLocks(store, name);
      return kind === 'exclusive' ? others : others.filter((o) => o.startsWith('exclusive-'));
    };
    const conflict = await conflicts();
    if (conflict.length === 0) return held(path, conflicts);
    await unlink(path).catch(() => undefined);
    if (kind === 'exclusive' || Date.now() >= deadline) {
      throw new LockBusyError(`the chunk store ${store.root} is locked by ${conflict.join(', ')}; ${kind === 'exclusive' ? 'a backup or restore is running, try again later' : 'gc is running'}`);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 5000));
  }
}

/** Lock files other than `own` that are not stale. */
async function liveLocks(store: StorePaths, own: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(store.locks).catch(() => [] as string[])) {
    if (name === own || !name.endsWith('.lock')) continue;
    const st = await stat(join(store.locks, name)).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs < STALE_MS) out.push(name);
  }
  return out;
}

function held(path: string, conflicts: () => Promise<string[]>): StoreLock {
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, REFRESH_MS);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await unlink(path).catch(() => undefined);
    },
    conflicts,
  };
}
