import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diskUsage } from '../../../imaging/chunked/usage.js';
import { makeExt4Disk, makeTestDisk, partitionedDisk } from '../../helpers/disks.js';
import { tempDir } from '../../helpers/tmp.js';

const MiB = 1 << 20;

test('an ext4 file system in an MBR partition is understood; the partition table is read whole', async (t) => {
  const dir = await tempDir(t);
  const fs = await readFile(await makeExt4Disk(dir, 'part', 24));
  const disk = join(dir, 'disk.img');
  await partitionedDisk(disk, fs, 32, 0x83);
  const fh = await open(disk, 'r');
  const u = await diskUsage(fh, 32 * MiB, true);
  await fh.close();
  assert.equal(u.mode, 'used-blocks');
  assert.ok(u.layout.some((l) => l.startsWith('mbr1: ext4 at 1048576')), u.layout.join('; '));
  assert.ok(u.used[0]![0] === 0 && u.used[0]![1] >= MiB, 'the first MiB (MBR and gap) is read');
  assert.ok(u.used.some(([s, l]) => s + l === 32 * MiB), 'the space after the partition is read');
  assert.ok(u.freeBytes > 8 * MiB);
});

test('a disk without a file system tbx understands is read whole, and says so', async (t) => {
  const dir = await tempDir(t);
  const disk = await makeTestDisk(join(dir, 'raw.img'), 8 * MiB, 'raw');
  const fh = await open(disk, 'r');
  const u = await diskUsage(fh, 8 * MiB, true);
  await fh.close();
  assert.equal(u.mode, 'whole-disk');
  assert.deepEqual(u.used, [[0, 8 * MiB]]);
  assert.match(u.layout.join(' '), /read whole/);
});
