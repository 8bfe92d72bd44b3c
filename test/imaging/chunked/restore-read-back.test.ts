import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageIntegrityError } from '../../../imaging/store.js';
import { mountFailingDisk } from '../../../torture/faults/failing-disk.js';
import { backedUpDisk, ctx, diskAt } from '../../helpers/chunk-store.js';
import { scribble, sha256File } from '../../helpers/disks.js';

const MiB = 1 << 20;

const fuse = existsSync('/dev/fuse') && process.getuid?.() === 0;

test('a disk that acknowledges writes and loses them fails the read-back; an honest one restores', { skip: fuse ? false : 'needs root and /dev/fuse' }, async (t) => {
  const { share, box, disk, sha, s } = await backedUpDisk(t, 32 * MiB, 'box-1');
  const [image] = await s.list(box);
  // Damage a data chunk and a zero run: the restore must write both back.
  await scribble(disk, 3 * MiB + 8192, 4096, 'damage');
  await scribble(disk, 9 * MiB + 100, 10, 'damage-zero');
  const backing = join(share.root, 'sda.backing');
  await rename(disk, backing);
  const damaged = await sha256File(backing);

  for (const dir of ['lying', 'honest']) await mkdir(join(share.root, dir));
  const lying = await mountFailingDisk(join(share.root, 'lying'), backing, 'sda', Number.MAX_SAFE_INTEGER, 0);
  try {
    await assert.rejects(s.restore(image!, diskAt(lying.path), box, ctx), (err: Error) => err instanceof ImageIntegrityError && /does not read back/.test(err.message) && /1 chunks and 1 zero runs differ/.test(err.message));
  } finally {
    await lying.close();
  }
  assert.equal(await sha256File(backing), damaged, 'the lost writes never reached the disk');

  const honest = await mountFailingDisk(join(share.root, 'honest'), backing, 'sda', Number.MAX_SAFE_INTEGER);
  try {
    await s.restore(image!, diskAt(honest.path), box, ctx);
  } finally {
    await honest.close();
  }
  assert.equal(await sha256File(backing), sha, 'the same restore through an honest disk is bit-exact');
});
