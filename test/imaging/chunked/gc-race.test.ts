import assert from 'node:assert/strict';
import { open, readdir, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { backupDisk, type DiskReader } from '../../../imaging/chunked/backup.js';
import { collectGarbage } from '../../../imaging/chunked/gc.js';
import { DEFAULT_ZSTD } from '../../../imaging/chunked/compression.js';
import { pruneGenerations } from '../../../imaging/chunked/generations.js';
import { packPaths, storeAt, storeFor } from '../../../imaging/chunked/layout.js';
import { lockStore } from '../../../imaging/chunked/locks.js';
import { listPacks } from '../../../imaging/chunked/pack-file.js';
import { WorkerPool } from '../../../imaging/chunked/worker-pool.js';
import { LockBusyError } from '../../../lib/errors.js';
import { backedUpDisk, ctx, diskAt } from '../../helpers/chunk-store.js';
import { makeTestDisk, prng, sha256File } from '../../helpers/disks.js';

const MiB = 1 << 20;

/**
 * A box whose generation 1 (week 1) was pruned after generation 2 (week 2, other data): the
 * packs of week 1 are garbage to gc, but their chunks are what a backup of week 1's data finds
 * in the store. The disk holds week 1's data again.
 */
async function deadPacksStillUseful(t: TestContext) {
  const { share, box, disk, sha: week1, s } = await backedUpDisk(t, 16 * MiB, 'week-1');
  const root = storeAt(join(share.backup, '.tbx-chunks'));
  const weekOnePacks = (await listPacks(root)).indexed;
  await makeTestDisk(disk, 16 * MiB, 'week-2');
  const week2 = await sha256File(disk);
  await s.backup(diskAt(disk), box, { replace: true, keep: 10, ...ctx });
  assert.deepEqual(await pruneGenerations(box, 'sda', 1), [1]);
  await makeTestDisk(disk, 16 * MiB, 'week-1');
  const pool = new WorkerPool(2);
  t.after(() => pool.close());
  /** A backup of the disk as generation 3 without the store lock (as when the lock looked stale). */
  const unlockedBackup = (reader?: DiskReader) =>
    backupDisk({ disk: diskAt(disk), ...(reader ? { reader } : {}), boxDir: box, store: storeFor(box), pool, zstd: DEFAULT_ZSTD, skipFree: false, box: {}, toolVersion: 'test', log: ctx.log });
  return { share, box, disk, week1, week2, s, root, weekOnePacks, pool, unlockedBackup };
}

async function restoredSha(w: Awaited<ReturnType<typeof deadPacksStillUseful>>, generation: number): Promise<string> {
  const image = (await w.s.generations(w.box)).find((g) => g.generation === generation)!;
  const target = join(w.share.root, 'target');
  await writeFile(target, prng('garbage', 16 * MiB));
  await w.s.restore(image, diskAt(target), w.box, ctx);
  return sha256File(target);
}

test('a pack deleted during a backup (a gc that missed its lock) -> the backup fails, nothing committed', async (t) => {
  const w = await deadPacksStillUseful(t);
  const fh = await open(w.disk, 'r');
  t.after(() => fh.close());
  let first = true;
  const reader: DiskReader = {
    async read(buf, offset, length, position) {
      if (first) {
        first = false; // after the backup loaded the store's chunk list: the week-1 packs go
        for (const id of w.weekOnePacks) for (const f of [packPaths(w.root, id).index, packPaths(w.root, id).pack]) await unlink(f);
      }
      return fh.read(buf, offset, length, position);
    },
  };
  await assert.rejects(w.unlockedBackup(reader), /pack\(s\) it relies on were deleted .*nothing was committed/);
  assert.deepEqual((await w.s.generations(w.box)).map((g) => g.generation), [2]);
  assert.equal(await restoredSha(w, 2), w.week2);
});

test('a backup lock that appears while gc marks (gc lock looked stale to it) -> gc deletes nothing', async (t) => {
  const w = await deadPacksStillUseful(t);
  const locks = w.root.locks;
  let backupLock: Awaited<ReturnType<typeof lockStore>> | undefined;
  const gc = collectGarbage({
    backupRoot: w.share.backup,
    pool: w.pool,
    log: ctx.log,
    graceMs: 0,
    afterMark: async () => {
      // The backup's clock is 20 minutes ahead: gc's lock looks stale to it.
      const old = new Date(Date.now() - 20 * 60 * 1000);
      for (const name of await readdir(locks)) await utimes(join(locks, name), old, old);
      backupLock = await lockStore(w.root, 'shared');
    },
  });
  await assert.rejects(gc, (err: unknown) => err instanceof LockBusyError && /while gc was marking.*nothing was deleted/.test(err.message));
  await backupLock?.release();
  assert.deepEqual((await listPacks(w.root)).indexed.filter((id) => w.weekOnePacks.includes(id)), w.weekOnePacks);
});

test('a generation committed while gc marks (a backup without a visible lock) -> gc deletes nothing', async (t) => {
  const w = await deadPacksStillUseful(t);
  let committed = 0;
  const gc = collectGarbage({ backupRoot: w.share.backup, pool: w.pool, log: ctx.log, graceMs: 0, afterMark: async () => void (committed = (await w.unlockedBackup()).generation) });
  await assert.rejects(gc, (err: unknown) => err instanceof LockBusyError && /generation was written while gc was marking/.test(err.message));
  assert.equal(committed, 3);
  assert.equal(await restoredSha(w, 3), w.week1, 'the new generation is restorable: its packs are still there');
});
