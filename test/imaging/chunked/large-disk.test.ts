import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ctx, diskAt, makeShare, store } from '../../helpers/chunk-store.js';
import { prng, scribble } from '../../helpers/disks.js';

const MiB = 1 << 20;
const GiB = 1024 * MiB;
type Stretch = [offset: number, length: number, seed: string];

/** A sparse file of `size` bytes holding `data` (the rest reads zero and costs no space). */
async function sparseDisk(path: string, size: number, data: Stretch[]): Promise<string> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    for (const [at, length, seed] of data) await fh.write(prng(seed, length), 0, length, at);
  } finally {
    await fh.close();
  }
  return path;
}

/**
 * Whether the file is exactly `size` bytes of zeros except `data`: compared 8 MiB at a time
 * with memcmp, which is many times faster than hashing gigabytes on a busy machine.
 */
async function holdsExactly(path: string, size: number, data: Stretch[]): Promise<boolean> {
  const step = 8 * MiB;
  const fh = await open(path, 'r');
  try {
    if ((await fh.stat()).size !== size) return false;
    const got = Buffer.alloc(step);
    const want = Buffer.alloc(step);
    for (let at = 0; at < size; at += step) {
      const n = Math.min(step, size - at);
      want.fill(0);
      for (const [o, length, seed] of data) {
        if (o + length <= at || o >= at + n) continue;
        const bytes = prng(seed, length);
        const from = Math.max(o, at);
        bytes.copy(want, from - at, from - o, Math.min(o + length, at + n) - o);
      }
      const { bytesRead } = await fh.read(got, 0, n, at);
      if (bytesRead !== n || !got.subarray(0, n).equals(want.subarray(0, n))) return false;
    }
    return true;
  } finally {
    await fh.close();
  }
}

test('a 6 GiB disk with a 5.5 GiB zero run backs up and restores bit-exact', async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.1');
  const size = 6 * GiB;
  const content: Stretch[] = [[0, MiB, 'head'], [5.5 * GiB, MiB, 'tail'], [size - 4096, 4096, 'last']];
  const disk = await sparseDisk(join(share.root, 'sda'), size, content);
  const s = store();
  const b = await s.backup(diskAt(disk), box, { replace: false, ...ctx });
  assert.equal(b.generation, 1);

  // Every data chunk overwritten (the whole image is written) and garbage inside the zero run.
  await scribble(disk, 0, MiB, 'garbage-1');
  await scribble(disk, 4.5 * GiB, 64 * 1024, 'garbage-2');
  await scribble(disk, 5.5 * GiB, MiB, 'garbage-3');
  await scribble(disk, size - 4096, 4096, 'garbage-4');
  assert.equal(await holdsExactly(disk, size, content), false);
  const [image] = await s.list(box);
  const r = await s.restore(image!, diskAt(disk), box, ctx);
  assert.equal(r.digest, b.digest);
  assert.ok(await holdsExactly(disk, size, content), 'the disk holds exactly what was backed up');
});
