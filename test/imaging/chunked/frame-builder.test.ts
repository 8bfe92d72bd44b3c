import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { describeZstd } from '../../../imaging/chunked/compression.js';
import { FRAME_TARGET } from '../../../imaging/chunked/frame-builder.js';
import { listGenerations } from '../../../imaging/chunked/generations.js';
import { blake3, zstdDecompressor } from '../../../imaging/chunked/native.js';
import { closePacks, listPacks, readFrame, readPackIndex, type PackHandles } from '../../../imaging/chunked/pack-file.js';
import { backedUpDisk, frameBuilder } from '../../helpers/chunk-store.js';

const KiB = 1024;

/** A compressible chunk that differs from every other one. */
function chunk(i: number, size: number): Buffer {
  const line = `chunk ${i}: the quick brown fox ${i * 7919} jumps over the lazy dog\n`;
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
}

test('frames reuse their buffers: with many more frames than can be in flight, every stored chunk reads back as it was added', async (t) => {
  const { s, packs, frames } = await frameBuilder(t);
  const size = 256 * KiB;
  // 12 frames' worth: each buffer pair goes round the pool (at most 5 in use) at least twice.
  const count = Math.ceil((12 * FRAME_TARGET) / size);
  const digests = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const data = chunk(i, size);
    const digest = blake3(data);
    digests.set(digest.toString('hex'), i);
    await frames.add(data, digest);
    // A slow reader (a dedup-heavy disk): the workers keep up, so a frame's buffers are
    // taken again as soon as they are free; too soon, and a pack write reads a reused buffer.
    await delay(1);
  }
  await frames.finish();
  await packs.finish();

  const decompress = zstdDecompressor();
  const handles: PackHandles = new Map();
  t.after(() => closePacks(handles));
  let seen = 0;
  let frameCount = 0;
  for (const id of (await listPacks(s)).indexed) {
    for (const f of await readPackIndex(s, id)) {
      frameCount++;
      const raw = decompress(await readFrame(s, f, handles));
      for (const c of f.chunks) {
        const i = digests.get(c.digest.toString('hex'));
        assert.ok(i !== undefined, `frame ${f.offset} of pack ${id} lists a chunk that was never added`);
        assert.ok(raw.subarray(c.inner, c.inner + c.length).equals(chunk(i, size)), `chunk ${i} reads back as it was added`);
        seen++;
      }
    }
  }
  assert.equal(seen, count, 'every chunk is in exactly one frame');
  assert.ok(frameCount >= 12, `${frameCount} frames`);
});

test("a generation's header records how its frames were compressed", async (t) => {
  const { box } = await backedUpDisk(t, 8 * 1024 * KiB, 'header-zstd');
  const [g] = await listGenerations(box);
  assert.equal(g?.header.chunking.compression, 'zstd-3 hashLog=16 chainLog=14');
  assert.equal(describeZstd({ level: 5 }), 'zstd-5');
});
