import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { GenerationFile } from '../../../imaging/chunked/generation-file.js';
import { entryAt, IndexWriter, KIND, MAX_EXTENT, type GenerationHeader } from '../../../imaging/chunked/index-file.js';
import { ImageIntegrityError } from '../../../imaging/store.js';
import { tempDir } from '../../helpers/tmp.js';

/** A generation index read whole: its header, entry count and entries. */
async function readGeneration(path: string): Promise<{ header: GenerationHeader; count: number; entries: Buffer }> {
  const g = await GenerationFile.open(path);
  try {
    return { header: g.header, count: g.count, entries: Buffer.from(await g.read(0, g.count)) };
  } finally {
    await g.close();
  }
}

const header = (size: number): Omit<GenerationHeader, 'digest'> => ({
  format: 'tbx-chunked/1', device: 'sda', generation: 1, createdAt: '2026-11-25T00:00:00.000Z', box: { ip: '10.0.0.1' }, disk: { size, model: 'M', serial: 'S' },
  tool: { name: 'tbx', version: 'test' }, chunking: { block: 4096, minChunk: 8192, maxChunk: 262144, zeroRunMin: 65536, digest: 'blake3', compression: 'zstd-3' },
  mode: 'whole-disk', layout: [], stats: { dataBytes: 8192, zeroBytes: 65536, unusedBytes: 0, chunks: 1, newChunks: 1, newStoredBytes: 100, seconds: 0 },
});

async function write(dir: string, zeroSplit: boolean): Promise<string> {
  const path = join(dir, `${zeroSplit}.tbxi`);
  const w = await IndexWriter.create(path);
  await w.add(0, 8192, KIND.data, Buffer.alloc(32, 7));
  if (zeroSplit) {
    await w.add(8192, 32768, KIND.zero);
    await w.add(40960, 32768, KIND.unused);
  } else await w.add(8192, 65536, KIND.zero);
  await w.commit(path, header(73728));
  return path;
}

test('a generation reads back with its header, entries and digest; zero and free runs digest alike', async (t) => {
  const dir = await tempDir(t);
  const a = await readGeneration(await write(dir, false));
  const b = await readGeneration(await write(dir, true));
  assert.equal(a.count, 2);
  assert.equal(b.count, 3);
  assert.equal(a.header.disk.serial, 'S');
  assert.equal(a.header.digest, b.header.digest);
});

test('a flipped bit or a truncated index is an integrity error', async (t) => {
  const dir = await tempDir(t);
  const path = await write(dir, false);
  const bytes = await readFile(path);
  bytes[20]! ^= 1;
  await writeFile(path, bytes);
  await assert.rejects(readGeneration(path), ImageIntegrityError);
  await writeFile(path, bytes.subarray(0, 60));
  await assert.rejects(readGeneration(path), ImageIntegrityError);
});

test('an index that does not cover the disk is never committed', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'short.tbxi');
  const w = await IndexWriter.create(path);
  await w.add(0, 8192, KIND.data, Buffer.alloc(32));
  await assert.rejects(w.commit(path, header(73728)), /covers 8192 of 73728/);
  await w.abort();
});

test('zero and free runs of 4 GiB and more are stored in several entries and digest as one run', async (t) => {
  const dir = await tempDir(t);
  const GiB = 1024 ** 3;
  const size = 8192 + 5 * GiB;
  const write = async (name: string, runs: Array<[number, 1 | 2]>) => {
    const path = join(dir, name);
    const w = await IndexWriter.create(path);
    await w.add(0, 8192, KIND.data, Buffer.alloc(32, 7));
    let at = 8192;
    for (const [length, kind] of runs) {
      await w.add(at, length, kind);
      at += length;
    }
    await w.commit(path, header(size));
    return readGeneration(path);
  };
  const whole = await write('whole.tbxi', [[5 * GiB, KIND.zero]]);
  const cut = await write('cut.tbxi', [[3 * GiB, KIND.zero], [2 * GiB, KIND.unused]]);
  const free = await write('free.tbxi', [[5 * GiB, KIND.unused]]);
  const entries = (g: Awaited<ReturnType<typeof readGeneration>>) => Array.from({ length: g.count }, (_, i) => entryAt(g.entries, i)).map((e) => [e.offset, e.length, e.kind]);
  assert.deepEqual(entries(whole), [[0, 8192, KIND.data], [8192, MAX_EXTENT, KIND.zero], [8192 + MAX_EXTENT, 5 * GiB - MAX_EXTENT, KIND.zero]]);
  assert.deepEqual(entries(free).slice(1).map((e) => e[2]), [KIND.unused, KIND.unused]);
  assert.equal(whole.header.digest, cut.header.digest);
  assert.equal(whole.header.digest, free.header.digest);
});

test('a generation index is read in windows of any size, each entry once, in order', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'many.tbxi');
  const w = await IndexWriter.create(path);
  for (let i = 0; i < 10; i++) await w.add(i * 8192, 8192, i % 3 === 0 ? KIND.zero : KIND.data, Buffer.alloc(32, i));
  await w.commit(path, header(10 * 8192));
  const g = await GenerationFile.open(path);
  t.after(() => g.close());
  const seen: number[] = [];
  for await (const { first, entries } of g.windows(3)) {
    for (let j = 0; j < entries.length / 48; j++) {
      const e = entryAt(entries, j);
      assert.equal(e.offset, (first + j) * 8192);
      seen.push(e.offset / 8192);
    }
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(entryAt(await g.read(7, 1), 0).digest[0], 7);
});
