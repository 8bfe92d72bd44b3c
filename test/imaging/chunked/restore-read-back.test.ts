import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { ImageIntegrityError } from '../../../imaging/store.js';
import { packageRoot } from '../../../lib/package-root.js';
import { backedUpDisk, ctx, diskAt } from '../../helpers/chunk-store.js';
import { scribble, sha256File } from '../../helpers/disks.js';

const MiB = 1 << 20;

/**
 * Serve `backing` as `<dir>/sda` through the FUSE disk of the fault torture, whose writes at
 * or beyond `dropAt` are acknowledged and lost. `close` unmounts it (before the temp dir that
 * holds the mount point is removed).
 */
async function fuseDisk(dir: string, backing: string, dropAt: number): Promise<{ path: string; close: () => Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const server = execa(process.execPath, [join(packageRoot(), 'dist', 'torture', 'faults', 'failing-disk-server.js'), dir, backing, 'sda', String(Number.MAX_SAFE_INTEGER), String(dropAt)], { reject: false, all: true });
  const close = async () => {
    await execa('umount', [dir], { reject: false });
    server.kill('SIGKILL');
    await server;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      void server.then((r) => reject(new Error(`failing-disk-server exited: ${r.all}`)));
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { path: join(dir, 'sda'), close };
}

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

  const lying = await fuseDisk(join(share.root, 'lying'), backing, 0);
  try {
    await assert.rejects(s.restore(image!, diskAt(lying.path), box, ctx), (err: Error) => err instanceof ImageIntegrityError && /does not read back/.test(err.message) && /1 chunks and 1 zero runs differ/.test(err.message));
  } finally {
    await lying.close();
  }
  assert.equal(await sha256File(backing), damaged, 'the lost writes never reached the disk');

  const honest = await fuseDisk(join(share.root, 'honest'), backing, Number.MAX_SAFE_INTEGER);
  try {
    await s.restore(image!, diskAt(honest.path), box, ctx);
  } finally {
    await honest.close();
  }
  assert.equal(await sha256File(backing), sha, 'the same restore through an honest disk is bit-exact');
});
