import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { packPaths, storeAt } from '../../../imaging/chunked/layout.js';
import { blake3, zstdCompressor, zstdDecompressor } from '../../../imaging/chunked/native.js';
import { encodePackIndex, listPacks, readPackIndex, type Frame } from '../../../imaging/chunked/pack-file.js';
import { ImageIntegrityError } from '../../../imaging/store.js';
import { backedUpDisk, ctx, diskAt, frameBuilder } from '../../helpers/chunk-store.js';
import { prng, sha256File } from '../../helpers/disks.js';

const MiB = 1 << 20;

test('a frame that does not decompress to its chunks is never stored', async (t) => {
  const { s, packs, frames } = await frameBuilder(t);
  const good = prng('good', 64 * 1024);
  await frames.add(good, blake3(good));
  // The digest the backup computed no longer matches the bytes that reached the frame (a memory fault).
  const hashed = prng('hashed', 64 * 1024);
  await frames.add(prng('stored', 64 * 1024), blake3(hashed));
  await assert.rejects(frames.finish(), (err: unknown) => err instanceof ImageIntegrityError && /did not decompress to its chunks/.test(err.message));
  await packs.finish();
  assert.deepEqual((await listPacks(s)).indexed, [], 'no pack holds the frame');
});

test('a frame with a valid checksum but a chunk that does not match its digest -> refused, 0 bytes written', async (t) => {
  const { share, box, disk, s } = await backedUpDisk(t, 32 * MiB, 'box-1');

  // Rewrite the pack as a tbx without frame checks would have stored it, with one chunk of its
  // last frame changed before compression: every frame's checksum matches its bytes.
  const root = storeAt(join(share.backup, '.tbx-chunks'));
  const [id] = (await listPacks(root)).indexed;
  const paths = packPaths(root, id!);
  const old = await readFile(paths.pack);
  const parts: Buffer[] = [];
  const frames: Frame[] = [];
  let offset = 0;
  const index = await readPackIndex(root, id!);
  for (const [i, f] of index.entries()) {
    let bytes: Buffer = old.subarray(f.offset, f.offset + f.storedLength);
    if (i === index.length - 1) {
      const raw = zstdDecompressor()(bytes);
      const c = f.chunks.at(-1)!;
      raw[c.inner + 100]! ^= 1;
      bytes = zstdCompressor(3)(raw);
    }
    frames.push({ ...f, offset, storedLength: bytes.length, digest: blake3(bytes), checked: false });
    parts.push(bytes);
    offset += bytes.length;
  }
  await writeFile(paths.pack, Buffer.concat(parts));
  await writeFile(paths.index, encodePackIndex(frames));

  await writeFile(disk, prng('broken disk', 32 * MiB));
  const before = await sha256File(disk);
  const [image] = await s.list(box);
  await assert.rejects(s.restore(image!, diskAt(disk), box, ctx), (err: unknown) => {
    assert.ok(err instanceof ImageIntegrityError, String(err));
    assert.match(err.message, /0 bytes written/);
    assert.match(err.message, /matches its checksum, but its chunk [0-9a-f]{64} does not match its digest/);
    return true;
  });
  assert.equal(await sha256File(disk), before, 'the disk is untouched');
});
