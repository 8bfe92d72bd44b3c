import assert from 'node:assert/strict';
import { copyFile, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { ImageIntegrityError } from '../../../imaging/store.js';
import { backedUpDisk, ctx, diskAt, makeShare, store } from '../../helpers/chunk-store.js';
import { makeExt4Disk, makeNtfsDisk, makeTestDisk, prng, scribble, sha256File } from '../../helpers/disks.js';

const MiB = 1 << 20;

test('backup then restore onto a garbage disk is bit-exact and reports the index digest', async (t) => {
  const { box, disk, sha: original, s, first: b } = await backedUpDisk(t, 24 * MiB, 'box-1');
  assert.equal(b.generation, 1);
  assert.equal(b.mode, 'whole-disk');
  assert.match(b.digest!, /^blake3-tree:[0-9a-f]{64}$/);
  assert.ok(b.storedBytes! < 24 * MiB, `stored ${b.storedBytes}`);

  await writeFile(disk, prng('garbage', 24 * MiB));
  const [image] = await s.list(box);
  const r = await s.restore(image!, diskAt(disk), box, ctx);
  assert.equal(await sha256File(disk), original);
  assert.equal(r.digest, b.digest);
  assert.equal(r.generation, 1);
});

test('differential restore writes only the chunks and blocks that differ', async (t) => {
  const { box, disk, sha: original, s } = await backedUpDisk(t, 32 * MiB, 'box-1');
  await scribble(disk, 3 * MiB + 8192, 4096, 'change-1'); // inside data
  await scribble(disk, 9 * MiB + 100, 10, 'change-2'); // inside a zero run
  await scribble(disk, 20 * MiB, 64 * 1024, 'change-3');
  const [image] = await s.list(box);
  const r = await s.restore(image!, diskAt(disk), box, ctx);
  assert.equal(await sha256File(disk), original);
  assert.ok(r.bytes > 0 && r.bytes <= 1 * MiB, `wrote ${r.bytes} bytes of 32 MiB`);

  const again = await s.restore(image!, diskAt(disk), box, ctx);
  assert.equal(again.bytes, 0, 'a disk that matches the image gets no writes');
});

test('a second box with the same data at shifted offsets stores almost nothing new', async (t) => {
  const share = await makeShare(t);
  const s = store();
  const a = await makeTestDisk(join(share.root, 'a'), 32 * MiB, 'golden');
  const first = await s.backup(diskAt(a), await share.box('10.0.0.1'), { replace: false, ...ctx });
  // Box b: the same content moved by 3 blocks (another install lays the same files out elsewhere).
  const content = await readFile(a);
  const b = join(share.root, 'b');
  await writeFile(b, Buffer.concat([prng('other-box', 12288), content.subarray(0, content.length - 12288)]));
  const second = await s.backup(diskAt(b), await share.box('10.0.0.2'), { replace: false, ...ctx });
  assert.ok(second.storedBytes! < first.storedBytes! * 0.1, `second box stored ${second.storedBytes} new bytes, the first ${first.storedBytes}`);
});

test('a corrupt chunk is refused before any byte is written', async (t) => {
  const { share, box, disk, s } = await backedUpDisk(t, 16 * MiB, 'box-1');
  const packs = join(share.backup, '.tbx-chunks', 'packs');
  const sub = (await readdir(packs))[0]!;
  const pack = join(packs, sub, (await readdir(join(packs, sub))).find((n) => n.endsWith('.pack'))!);
  const bytes = await readFile(pack);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
  await writeFile(pack, bytes);

  await writeFile(disk, prng('broken disk', 16 * MiB));
  const before = await sha256File(disk);
  const mtime = (await stat(disk)).mtimeMs;
  const [image] = await s.list(box);
  await assert.rejects(s.restore(image!, diskAt(disk), box, ctx), (err: unknown) => {
    assert.ok(err instanceof ImageIntegrityError, String(err));
    assert.match(String((err as Error).message), /0 bytes written/);
    return true;
  });
  assert.equal(await sha256File(disk), before, 'the disk is untouched');
  assert.equal((await stat(disk)).mtimeMs, mtime);
});

test('backup-again keeps the newest N generations', async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.1');
  const disk = await makeTestDisk(join(share.root, 'sda'), 8 * MiB, 'box-1');
  const s = store();
  for (let i = 0; i < 4; i++) {
    await scribble(disk, i * MiB, 4096, `week-${i}`);
    await s.backup(diskAt(disk), box, { replace: true, keep: 2, ...ctx });
  }
  assert.deepEqual((await s.generations(box)).map((g) => g.generation), [3, 4]);
});

/**
 * Back up `used` (a file system whose free space holds garbage), check none of the garbage is
 * stored, restore onto a copy of it, and compare with `expected`: the file system's own tools'
 * view of the disk with its free space zeroed. Returns the restored disk.
 */
async function freeSpaceRoundTrip(share: Awaited<ReturnType<typeof makeShare>>, used: string, maxStored: number, expected: (path: string) => Promise<void>): Promise<string> {
  const box = await share.box('10.0.0.1');
  const s = store();
  const b = await s.backup(diskAt(used), box, { replace: false, ...ctx });
  assert.equal(b.mode, 'used-blocks');
  assert.ok(b.storedBytes! < maxStored, `stored ${b.storedBytes}: the garbage must not be stored`);
  const target = join(share.root, 'target.img');
  await copyFile(used, target);
  const [image] = await s.list(box);
  const r = await s.restore(image!, diskAt(target), box, ctx);
  assert.equal(r.digest, b.digest);
  const oracle = join(share.root, 'expected.img');
  await expected(oracle);
  assert.equal(await sha256File(target), await sha256File(oracle));
  return target;
}

test('ext4: free space holding garbage is neither read nor stored, and restores as zeros', async (t) => {
  const share = await makeShare(t);
  const used = await makeExt4Disk(share.root, 'used', 48, { garbage: true });
  // The oracle is e2fsprogs' own view: the used disk with every block dumpe2fs lists as free zeroed.
  await freeSpaceRoundTrip(share, used, 8 * MiB, async (expected) => {
    await copyFile(used, expected);
    await zeroFreeBlocks(expected);
  });
  const clean = await makeExt4Disk(share.root, 'clean', 48, { garbage: false });
  const whole = await store({ skipFree: false }).backup(diskAt(clean), await share.box('10.0.0.2'), { replace: false, ...ctx });
  assert.equal(whole.mode, 'whole-disk');
});

test('NTFS: free space holding garbage is neither read nor stored, and restores as zeros', async (t) => {
  const share = await makeShare(t);
  const used = await makeNtfsDisk(share.root, 'win', 48, { garbage: true });
  // The oracle is ntfs-3g's own cloner, which copies the used clusters and leaves the free ones as holes.
  const target = await freeSpaceRoundTrip(share, used, 4 * MiB, async (expected) => {
    await execa('ntfsclone', ['-q', '-O', expected, used]);
  });
  assert.equal((await execa('ntfscat', [target, 'file3.dll'], { encoding: 'buffer' })).stdout.length, 60_000 + 3 * 7000);
});

test('ext4 with inconsistent free counts falls back to whole-disk', async (t) => {
  const share = await makeShare(t);
  const disk = await makeExt4Disk(share.root, 'bad', 32);
  const fh = await open(disk, 'r+');
  const desc = Buffer.alloc(2);
  desc.writeUInt16LE(1); // group 0 now claims a single free block
  await fh.write(desc, 0, 2, 4096 + 0xc);
  await fh.close();
  const b = await store().backup(diskAt(disk), await share.box('10.0.0.1'), { replace: false, ...ctx });
  assert.equal(b.mode, 'whole-disk');
});

/** Zero every block `dumpe2fs` reports as free ("Free blocks: 10-20, 25"). */
async function zeroFreeBlocks(path: string): Promise<void> {
  const { stdout } = await execa('dumpe2fs', [path], { stderr: 'ignore' });
  const fh = await open(path, 'r+');
  const zero = Buffer.alloc(4096);
  for (const line of stdout.split('\n')) {
    const m = /^\s+Free blocks: (.+)$/.exec(line);
    if (!m) continue;
    for (const part of m[1]!.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [a, b = a] = part.split('-').map(Number);
      for (let blk = a!; blk <= b!; blk++) await fh.write(zero, 0, 4096, blk * 4096);
    }
  }
  await fh.close();
}

test('restore onto a regular file: a sparse one stays sparse, a fully allocated one keeps its blocks, both bit-exact', async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.1');
  const disk = join(share.root, 'sda');
  // 64 MiB, of which 4 MiB of data at the start and 4 MiB at the end: the rest zeros.
  await writeFile(disk, Buffer.alloc(0));
  await execa('truncate', ['-s', String(64 * MiB), disk]);
  await scribble(disk, 0, 4 * MiB, 'head');
  await scribble(disk, 60 * MiB, 4 * MiB, 'tail');
  const original = await sha256File(disk);
  const s = store();
  await s.backup(diskAt(disk), box, { replace: false, skipFree: false, ...ctx });
  const [image] = await s.list(box);

  // Sparse: garbage over half the disk, the rest still holes.
  await scribble(disk, 0, 32 * MiB, 'garbage');
  await s.restore(image!, diskAt(disk), box, ctx);
  assert.equal(await sha256File(disk), original);
  const sparse = (await stat(disk)).blocks * 512;
  assert.ok(sparse <= 16 * MiB, `the restored sparse file takes ${sparse} bytes of 64 MiB`);

  // Fully allocated (a disk image copied in full): it stays so, as a preallocated image should.
  await writeFile(disk, prng('garbage', 64 * MiB));
  await s.restore(image!, diskAt(disk), box, ctx);
  assert.equal(await sha256File(disk), original);
  const full = (await stat(disk)).blocks * 512;
  assert.ok(full >= 64 * MiB, `the restored allocated file takes ${full} bytes of 64 MiB`);
});
