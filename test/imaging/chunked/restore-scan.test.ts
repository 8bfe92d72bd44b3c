import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { GenerationFile } from '../../../imaging/chunked/generation-file.js';
import { RangeList, scanDisk, type Diff } from '../../../imaging/chunked/restore-scan.js';
import { WorkerPool } from '../../../imaging/chunked/worker-pool.js';
import { backedUpDisk } from '../../helpers/chunk-store.js';
import { scribble } from '../../helpers/disks.js';

const MiB = 1 << 20;

/**
 * A 32 MiB disk backed up once, then damaged in one data chunk (at 3 MiB + 8192) and in one
 * zero extent (at 9 MiB + 100), opened for scanning against its generation.
 */
async function damagedDisk(t: TestContext) {
  const { box, disk } = await backedUpDisk(t, 32 * MiB, 'box-1');
  await scribble(disk, 3 * MiB + 8192, 4096, 'in-data');
  await scribble(disk, 9 * MiB + 100, 10, 'in-zero-run');
  const gen = await GenerationFile.open(join(box, 'images', 'sda', '00000001.tbxi'));
  const fh = await open(disk, 'r');
  t.after(async () => {
    await fh.close();
    await gen.close();
  });
  return { disk, gen, fh, pool: new WorkerPool(0) };
}

test('the read-back scan skips only zero extents that lie wholly inside holes, never data', async (t) => {
  const { gen, fh, pool } = await damagedDisk(t);
  const scan = (holes?: RangeList) => scanDisk(fh, gen, pool, { record: false, ...(holes ? { holes } : {}) });
  const ranges = (...runs: Array<[number, number]>) => runs.reduce((l, [o, n]) => (l.push(o, n), l), new RangeList());

  const all = await scan();
  assert.equal(all.diff.chunks, 1, 'the changed data chunk');
  assert.equal(all.zeroRuns, 1, 'the non-zero bytes in a zero extent');

  const whole = await scan(ranges([0, 32 * MiB]));
  assert.equal(whole.zeroRuns, 0, 'a zero extent inside a hole is not read');
  assert.equal(whole.diff.chunks, 1, 'data extents are read whatever the holes say');

  const partial = await scan(ranges([9 * MiB, 8192]));
  assert.equal(partial.zeroRuns, 1, 'a zero extent only partly inside a hole is still read');
});

test('the read-back compares what the diff wrote, and a diff of everything reads everything', async (t) => {
  const { disk, gen, fh, pool } = await damagedDisk(t);
  const { diff } = await scanDisk(fh, gen, pool, { record: true });
  assert.equal(diff.chunks, 1);
  assert.deepEqual([...diff.zeros!], [[9 * MiB, 4096]]);

  // Damage where the diff wrote nothing: a data chunk and a zero extent.
  await scribble(disk, 5 * MiB + 4096, 4096, 'unwritten-data');
  await scribble(disk, 11 * MiB + 50, 10, 'unwritten-zero');
  const readBack = (only: Diff) => scanDisk(fh, gen, pool, { record: false, only });
  const limited = await readBack(diff);
  assert.equal(limited.diff.chunks, 1, 'the written chunk is compared, the other is not read');
  assert.equal(limited.zeroRuns, 1, 'the written zero run is compared, the other zero extent is not read');

  const all = await readBack({ data: null, zeros: null, chunks: diff.chunks });
  assert.equal(all.diff.chunks, 2, 'a restore that wrote every chunk reads every chunk back');
  assert.equal(all.zeroRuns, 2, 'and every zero extent');
});
