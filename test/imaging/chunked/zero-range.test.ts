import assert from 'node:assert/strict';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { zeroRanges } from '../../../imaging/chunked/zero-range.js';
import { prng } from '../../helpers/disks.js';
import { tempDir } from '../../helpers/tmp.js';

const MiB = 1 << 20;

test('a fully allocated file is zeroed in place: the range reads zero and keeps its blocks', async (t) => {
  const path = join(await tempDir(t, 'tbx-zero-'), 'disk');
  await writeFile(path, prng('full', 16 * MiB));
  const before = await stat(path);
  assert.deepEqual(await zeroRanges(path, [[4 * MiB, 8 * MiB]]), ['hole']);
  const data = await readFile(path);
  assert.ok(data.subarray(4 * MiB, 12 * MiB).every((b) => b === 0), 'the range reads zero');
  assert.deepEqual(data.subarray(0, 4 * MiB), prng('full', 16 * MiB).subarray(0, 4 * MiB), 'nothing before it changed');
  assert.deepEqual(data.subarray(12 * MiB), prng('full', 16 * MiB).subarray(12 * MiB), 'nothing after it changed');
  assert.equal((await stat(path)).blocks, before.blocks, 'zero-range: no block freed');
});

test('a sparse file stays sparse: the range is punched out', async (t) => {
  const path = join(await tempDir(t, 'tbx-zero-'), 'disk');
  const fh = await open(path, 'w');
  await fh.truncate(32 * MiB);
  await fh.write(prng('sparse', 8 * MiB), 0, 8 * MiB, 0);
  await fh.close();
  const before = await stat(path);
  assert.deepEqual(await zeroRanges(path, [[0, 4 * MiB]]), ['hole']);
  const data = await readFile(path);
  assert.ok(data.subarray(0, 4 * MiB).every((b) => b === 0), 'the range reads zero');
  assert.deepEqual(data.subarray(4 * MiB, 8 * MiB), prng('sparse', 8 * MiB).subarray(4 * MiB), 'the rest of the data is kept');
  assert.ok((await stat(path)).blocks <= before.blocks - (4 * MiB) / 512, 'punch-hole: the range no longer takes space');
});
