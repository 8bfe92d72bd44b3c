import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Writeback } from '../../../imaging/chunked/writeback.js';
import { tempDir } from '../../helpers/tmp.js';

test('counts what was written and flushes in the background without losing a byte', async (t) => {
  const path = join(await tempDir(t, 'tbx-writeback-'), 'disk');
  const fh = await open(path, 'w+');
  t.after(() => fh.close());
  const w = new Writeback(fh, 8);
  for (let i = 0; i < 4; i++) {
    const { bytesWritten } = await fh.write(Buffer.from(`part-${i}|`), 0, 7, i * 7);
    w.add(bytesWritten);
  }
  await w.settle();
  assert.equal(w.bytes, 28);
  assert.equal(await readFile(path, 'utf8'), 'part-0|part-1|part-2|part-3|');
});

test('a background flush that fails is thrown by settle, not lost', async (t) => {
  const path = join(await tempDir(t, 'tbx-writeback-'), 'disk');
  const fh = await open(path, 'w+');
  const w = new Writeback(fh, 8);
  await fh.close();
  w.add(4);
  await w.settle();
  w.add(4);
  await assert.rejects(w.settle(), (err: NodeJS.ErrnoException) => err.code === 'EBADF' || /closed/i.test(err.message));
});
