import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { collectGarbage } from '../../../imaging/chunked/gc.js';
import { verifyImages } from '../../../imaging/chunked/verify.js';
import { WorkerPool } from '../../../imaging/chunked/worker-pool.js';
import { packageRoot } from '../../../lib/package-root.js';
import { backedUpDisk, ctx, diskAt } from '../../helpers/chunk-store.js';
import { prng, sha256File } from '../../helpers/disks.js';

const MiB = 1 << 20;

test('a backup killed mid-way leaves the previous generation intact and restorable', async (t) => {
  const { share, box, disk, sha: original, s } = await backedUpDisk(t, 16 * MiB, 'week-1');

  // A second backup of new data, fed through stdin and killed (SIGKILL) after it sealed a pack.
  const child = execa(process.execPath, [join(packageRoot(), 'test', 'fixtures', 'backup-from-stdin.mjs'), box], { reject: false });
  const packsDir = join(share.backup, '.tbx-chunks', 'packs');
  const sealed = async () => (await readdir(packsDir, { recursive: true })).filter((n) => String(n).endsWith('.pidx')).length;
  const before = await sealed();
  for (let i = 0; i < 40 && (await sealed()) === before; i++) child.stdin!.write(prng(`week-2/${i}`, 2 * MiB));
  for (let i = 0; i < 100 && (await sealed()) === before; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok((await sealed()) > before, 'the killed backup had sealed a pack');
  child.kill('SIGKILL');
  const r = await child;
  assert.equal(r.signal, 'SIGKILL');
  assert.doesNotMatch(String(r.stdout), /done/);

  assert.deepEqual((await s.generations(box)).map((g) => g.generation), [1], 'the half-written generation is not visible');
  await writeFile(disk, prng('broken', 16 * MiB));
  const [image] = await s.list(box);
  await s.restore(image!, diskAt(disk), box, ctx);
  assert.equal(await sha256File(disk), original);

  const pool = new WorkerPool(2);
  t.after(() => pool.close());
  assert.deepEqual((await verifyImages(share.backup, { pool, log: ctx.log })).problems, []);
  const gc = await collectGarbage({ backupRoot: share.backup, pool, log: ctx.log, graceMs: 0 });
  assert.ok(gc.deletedPacks + gc.deletedOrphans > 0, 'gc removes what the killed backup left');
  const next = await s.backup(diskAt(disk), box, { replace: true, ...ctx });
  assert.equal(next.generation, 2);
});
