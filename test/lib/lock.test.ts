import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { execa } from 'execa';
import { LockBusyError } from '../../lib/errors.js';
import { acquireLock } from '../../lib/lock.js';
import { packageRoot } from '../../lib/package-root.js';
import { tempDir } from '../helpers/tmp.js';

async function holder(target: string, lockPath: string) {
  const child = execa(process.execPath, [join(packageRoot(), 'test', 'fixtures', 'hold-lock.mjs'), target, lockPath], { reject: false });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('held') && resolve());
    child.once('exit', () => reject(new Error('holder exited early')));
  });
  return { child }; // wrapped: a subprocess is thenable and would be awaited
}

describe('acquireLock', () => {
  test('a live holder keeps others out; after it is killed with SIGKILL the lock is taken at once', async (t) => {
    const dir = await tempDir(t);
    const lockPath = join(dir, '.lock');
    const { child } = await holder(dir, lockPath);
    t.after(() => child.kill('SIGKILL'));
    await assert.rejects(acquireLock(dir, { lockPath, waitMs: 300, staleMs: 60_000 }), LockBusyError);
    child.kill('SIGKILL');
    await child;
    const t0 = Date.now();
    const release = await acquireLock(dir, { lockPath, waitMs: 0, staleMs: 60_000 });
    assert.ok(Date.now() - t0 < 2000, 'no waiting for staleness');
    await release();
  });

  test('released locks can be taken again, and only once at a time in one process', async (t) => {
    const dir = await tempDir(t);
    const lockPath = join(dir, '.lock');
    const r1 = await acquireLock(dir, { lockPath, waitMs: 0, staleMs: 10_000 });
    await assert.rejects(acquireLock(dir, { lockPath, waitMs: 0, staleMs: 10_000 }), LockBusyError);
    await r1();
    const r2 = await acquireLock(dir, { lockPath, waitMs: 0, staleMs: 10_000 });
    await r2();
  });
});
