import assert from 'node:assert/strict';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectGarbage } from '../../../imaging/chunked/gc.js';
import { pruneGenerations } from '../../../imaging/chunked/generations.js';
import { storeAt } from '../../../imaging/chunked/layout.js';
import { lockStore } from '../../../imaging/chunked/locks.js';
import { verifyImages } from '../../../imaging/chunked/verify.js';
import { WorkerPool } from '../../../imaging/chunked/worker-pool.js';
import { LockBusyError } from '../../../lib/errors.js';
import { ctx, diskAt, makeShare, store } from '../../helpers/chunk-store.js';
import { makeTestDisk, prng, scribble, sha256File } from '../../helpers/disks.js';

const MiB = 1 << 20;

test('gc deletes and repacks only what no generation references', async (t) => {
  const share = await makeShare(t);
  const s = store();
  const pool = new WorkerPool(2);
  t.after(() => pool.close());
  const a = await share.box('10.0.0.1');
  const b = await share.box('10.0.0.2');
  const disk = await makeTestDisk(join(share.root, 'a'), 24 * MiB, 'os');
  const kept: Array<{ box: string; gen: number; sha: string }> = [];
  for (let week = 0; week < 3; week++) {
    await scribble(disk, week * 6 * MiB, 5 * MiB, `week-${week}`);
    const r = await s.backup(diskAt(disk), a, { replace: true, keep: 10, ...ctx });
    kept.push({ box: a, gen: r.generation!, sha: await sha256File(disk) });
  }
  const other = join(share.root, 'b');
  await copyFile(disk, other);
  await scribble(other, 1 * MiB, 2 * MiB, 'box-b');
  await s.backup(diskAt(other), b, { replace: false, ...ctx });
  const bSha = await sha256File(other);

  assert.deepEqual(await pruneGenerations(a, 'sda', 1), [1, 2]);
  const young = await collectGarbage({ backupRoot: share.backup, pool, log: ctx.log });
  assert.equal(young.deletedPacks + young.repackedPacks, 0, 'nothing younger than the grace period goes');

  const report = await collectGarbage({ backupRoot: share.backup, pool, log: ctx.log, graceMs: 0, repackBelow: 0.95 });
  assert.ok(report.deletedPacks + report.repackedPacks > 0, JSON.stringify(report));
  assert.deepEqual((await verifyImages(share.backup, { pool, log: ctx.log })).problems, []);

  for (const [box, path, sha] of [[a, disk, kept[2]!.sha], [b, other, bSha]] as const) {
    await writeFile(path, prng('garbage', 24 * MiB));
    const [image] = await s.list(box);
    await s.restore(image!, diskAt(path), box, ctx);
    assert.equal(await sha256File(path), sha, `${box} restores bit-exact after gc`);
  }
});

test('gc refuses to run beside a backup holding the store lock', async (t) => {
  const share = await makeShare(t);
  const pool = new WorkerPool(0);
  const backupLock = await lockStore(storeAt(join(share.backup, '.tbx-chunks')), 'shared');
  await assert.rejects(collectGarbage({ backupRoot: share.backup, pool, log: ctx.log, graceMs: 0 }), LockBusyError);
  await backupLock.release();
  await collectGarbage({ backupRoot: share.backup, pool, log: ctx.log, graceMs: 0 });
});

test('a backup waits for gc to release the store', async (t) => {
  const share = await makeShare(t);
  const store0 = storeAt(join(share.backup, '.tbx-chunks'));
  const gcLock = await lockStore(store0, 'exclusive');
  await assert.rejects(lockStore(store0, 'shared', { waitMs: 100, pollMs: 20 }), LockBusyError);
  setTimeout(() => void gcLock.release(), 100);
  const held = await lockStore(store0, 'shared', { waitMs: 5000, pollMs: 20 });
  await held.release();
});
