import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { describeGzipImage, GzipStore } from '../../imaging/gzip-store.js';
import { ImageIntegrityError } from '../../imaging/store.js';
import { verifyGzipImages } from '../../imaging/verify-gzip.js';
import { packageRoot } from '../../lib/package-root.js';
import { ctx, diskAt, makeShare } from '../helpers/chunk-store.js';
import { makeTestDisk, prng, sha256File } from '../helpers/disks.js';

const MiB = 1 << 20;
const identity = { serial: 'S1' };
const opts = (replace: boolean) => ({ replace, ...ctx, box: { ip: '10.0.0.1' } });

/** The steps of a gzip backup's commit, in order, and whether the new image is visible after each. */
const STEPS: Array<[string, 'old' | 'new']> = [
  ['image written', 'old'],
  ['pending sidecar written', 'old'],
  ['pending checksum written', 'old'],
  // Keeping the current image as .old: the same protocol, so .old is always one consistent set too.
  ['old pending sidecar written', 'old'],
  ['old pending checksum written', 'old'],
  ['old image renamed', 'old'],
  ['old checksum renamed', 'old'],
  ['old sidecar renamed', 'old'],
  ['old kept', 'old'],
  ['image renamed', 'new'],
  ['checksum renamed', 'new'],
  ['sidecar renamed', 'new'],
];

for (const [step, visible] of STEPS) {
  test(`backup-again killed after "${step}" -> the ${visible} image with its own checksum and sidecar, restorable`, async (t) => {
    const share = await makeShare(t);
    const box = await share.box('10.0.0.1');
    const disk = await makeTestDisk(join(share.root, 'sda'), 4 * MiB, 'week-0');
    const week0 = await sha256File(disk);
    const s = new GzipStore();
    await s.backup({ ...diskAt(disk), ...identity }, box, opts(false));
    // A first backup-again, so that an .old set exists when the crashing one replaces it.
    await makeTestDisk(disk, 4 * MiB, 'week-1');
    const sums = { old: await sha256File(disk), new: '' };
    await s.backup({ ...diskAt(disk), ...identity }, box, opts(true));

    await makeTestDisk(disk, 4 * MiB, 'week-2');
    sums.new = await sha256File(disk);
    const child = await execa(process.execPath, [join(packageRoot(), 'test', 'fixtures', 'gzip-backup-crash.mjs'), box, disk, step], { reject: false });
    assert.equal(child.signal, 'SIGKILL', child.stderr);

    const [image] = await s.list(box);
    assert.equal(image!.sha256, sums[visible], 'the listed image records the raw digest of the image file that is there');
    assert.equal(image!.origin?.serial, 'S1');
    assert.deepEqual((await verifyGzipImages(share.backup, ['10.0.0.1'])).problems, []);
    const target = join(share.root, 'target');
    await writeFile(target, prng('garbage', 4 * MiB));
    const r = await s.restore(image!, diskAt(target), box, ctx);
    assert.equal(r.sha256, sums[visible]);
    assert.equal(await sha256File(target), sums[visible]);
    // .old is one consistent set too: the image before, or the one before that.
    const old = await describeGzipImage(box, 'sda.gz.old');
    await writeFile(target, prng('garbage', 4 * MiB));
    await s.restore(old!, diskAt(target), box, ctx);
    assert.ok([week0, sums.old].includes(await sha256File(target)), '.old restores to a real earlier image');

    // The next backup-again starts from one consistent set and leaves one behind.
    await makeTestDisk(disk, 4 * MiB, 'week-3');
    const week3 = await sha256File(disk);
    await s.backup({ ...diskAt(disk), ...identity }, box, opts(true));
    assert.deepEqual((await readdir(box)).filter((n) => n.endsWith('.next')), [], 'nothing pending');
    const [again] = await s.list(box);
    assert.equal(again!.sha256, week3);
    assert.deepEqual((await verifyGzipImages(share.backup, ['10.0.0.1'])).problems, []);
    await s.restore(again!, diskAt(target), box, ctx);
    assert.equal(await sha256File(target), week3);
  });
}

test('an image replaced after it was listed is refused before the first byte is written', async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.1');
  const disk = await makeTestDisk(join(share.root, 'sda'), 4 * MiB, 'week-1');
  const s = new GzipStore();
  await s.backup(diskAt(disk), box, opts(false));
  const [listed] = await s.list(box);
  await makeTestDisk(disk, 4 * MiB, 'week-2');
  await s.backup(diskAt(disk), box, opts(true));

  const target = join(share.root, 'target');
  await writeFile(target, prng('garbage', 4 * MiB));
  const before = await sha256File(target);
  await assert.rejects(s.restore(listed!, diskAt(target), box, ctx), (err: unknown) => err instanceof ImageIntegrityError && /replaced after it was listed.*0 bytes written/.test(err.message));
  assert.equal(await sha256File(target), before);
});

test('an interrupted commit that names no files (older tbx, or a copied share) -> the image is hashed to pick its set', async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.1');
  const disk = await makeTestDisk(join(share.root, 'sda'), 4 * MiB, 'week-1');
  const s = new GzipStore();
  await s.backup({ ...diskAt(disk), serial: 'OLD' }, box, opts(false));
  // What a backup of an older tbx left when killed after renaming its image: the new image, the
  // old .sha256 and .disk.json, and the new ones pending (without file identities).
  const staging = await share.box('10.0.0.9');
  await makeTestDisk(disk, 4 * MiB, 'week-2');
  await s.backup({ ...diskAt(disk), serial: 'NEW' }, staging, opts(false));
  const { copyFile, rename } = await import('node:fs/promises');
  await copyFile(join(staging, 'sda.gz'), join(box, '.incoming'));
  await rename(join(box, '.incoming'), join(box, 'sda.gz'));
  await copyFile(join(staging, 'sda.gz.sha256'), join(box, 'sda.gz.sha256.next'));
  await copyFile(join(staging, 'sda.gz.disk.json'), join(box, 'sda.gz.disk.json.next'));

  const [image] = await s.list(box);
  assert.equal(image!.sha256, await sha256File(disk));
  assert.equal(image!.origin?.serial, 'NEW');
  assert.deepEqual((await verifyGzipImages(share.backup, ['10.0.0.1'])).problems, []);
});

const damage: Array<[string, (box: string) => Promise<void>, RegExp]> = [
  ['a .sha256 that no longer parses (not "a seed image without one")', async (box) => writeFile(join(box, 'sda.gz.sha256'), 'x5e0f0c6e  sda.gz\n'), /sda\.gz\.sha256 is not a sha256sum line/],
  ['a .disk.json with one bit of its serial flipped (still valid JSON)', async (box) => {
    const file = join(box, 'sda.gz.disk.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"serial":"S1"', '"serial":"S0"'));
  }, /sda\.gz\.disk\.json is damaged \(its own check fails/],
  ['a .sha256 with one hex digit changed (still a sha256sum line)', async (box) => {
    const file = join(box, 'sda.gz.sha256');
    const text = await readFile(file, 'utf8');
    await writeFile(file, `${text[0] === '0' ? '1' : '0'}${text.slice(1)}`);
  }, /sda\.gz\.sha256 is damaged: it records sha256 [0-9a-f]{64}, but the image hashes to [0-9a-f]{64}, as sda\.gz\.disk\.json records/],
];

for (const [what, harm, says] of damage) {
  test(`${what} -> verify names it, a restore refuses with 0 bytes written`, async (t) => {
    const share = await makeShare(t);
    const box = await share.box('10.0.0.1');
    const disk = await makeTestDisk(join(share.root, 'sda'), 4 * MiB, 'week-1');
    const s = new GzipStore();
    await s.backup({ ...diskAt(disk), ...identity }, box, opts(false));
    const [image] = await s.list(box);
    await harm(box);
    const problems = (await verifyGzipImages(share.backup, ['10.0.0.1'])).problems;
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0]!, says);
    const target = join(share.root, 'target');
    await writeFile(target, prng('garbage', 4 * MiB));
    const before = await sha256File(target);
    await assert.rejects(s.restore(image!, diskAt(target), box, ctx), (e: unknown) => e instanceof ImageIntegrityError && /0 bytes written/.test(e.message));
    assert.equal(await sha256File(target), before);
  });
}

test('temp files a killed backup left beside an image are removed by the next backup of that image, and only those', async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.1');
  const disk = await makeTestDisk(join(share.root, 'sda'), 4 * MiB, 'week-1');
  for (const n of ['.sda.gz.tmp-123-deadbeef', '.sda.gz.old.tmp-7-0badf00d', '.sda.gz.sha256.next.tmp-9-01234567', '.sdb.gz.tmp-1-deadbeef', 'notes.txt']) await writeFile(join(box, n), 'left behind');
  await new GzipStore().backup({ ...diskAt(disk), ...identity }, box, opts(false));
  assert.deepEqual((await readdir(box)).filter((n) => n.startsWith('.') || n === 'notes.txt').sort(), ['.sdb.gz.tmp-1-deadbeef', 'notes.txt']);
});
