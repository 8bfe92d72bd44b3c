import assert from 'node:assert/strict';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pruneImages } from '../../bootimage/image-cache.js';
import { tempDir } from '../helpers/tmp.js';

/** Six images, `initrd-0...` used 6 hours ago down to `initrd-5...` used just now; plus a temp file. */
async function cache(dir: string): Promise<void> {
  for (let i = 0; i < 6; i++) {
    const file = join(dir, `initrd-${i}${'0'.repeat(23)}.img`);
    await writeFile(file, 'x');
    const used = new Date(Date.now() - (5 - i) * 3_600_000 - 60_000 * (i === 5 ? 0 : 1));
    await utimes(file, used, used);
  }
  await writeFile(join(dir, 'initrd-000.img.tmp-42'), 'packing');
}

test('more images than kept -> the least recently used are deleted, temp files and others left alone', async (t) => {
  const dir = await tempDir(t);
  await cache(dir);
  await pruneImages(dir, 3);
  assert.deepEqual((await readdir(dir)).sort(), ['initrd-000.img.tmp-42', `initrd-3${'0'.repeat(23)}.img`, `initrd-4${'0'.repeat(23)}.img`, `initrd-5${'0'.repeat(23)}.img`]);
});

test('an image beyond the kept ones but used within the spare time -> kept (a concurrent build may have claimed it)', async (t) => {
  const dir = await tempDir(t);
  await cache(dir);
  await pruneImages(dir, 1, 3 * 3_600_000);
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.img')).map((n) => n[7]), ['3', '4', '5']);
});

test('concurrent builds pruning one cache -> none fails on a file another one deleted', async (t) => {
  const dir = await tempDir(t);
  await cache(dir);
  await Promise.all(Array.from({ length: 8 }, () => pruneImages(dir, 2)));
  assert.equal((await readdir(dir)).filter((n) => n.endsWith('.img')).length, 2);
});
