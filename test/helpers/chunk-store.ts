import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { ChunkStore } from '../../imaging/chunked/chunk-store.js';
import { DEFAULT_ZSTD } from '../../imaging/chunked/compression.js';
import { FrameBuilder } from '../../imaging/chunked/frame-builder.js';
import { storeAt, type StorePaths } from '../../imaging/chunked/layout.js';
import { PackWriter } from '../../imaging/chunked/pack-file.js';
import { WorkerPool } from '../../imaging/chunked/worker-pool.js';
import type { DiskTarget } from '../../imaging/store.js';
import { silentLogger } from '../../lib/logger.js';
import { makeTestDisk, sha256File } from './disks.js';
import { tempDir } from './tmp.js';

/** A backup share (with its marker) in a temp dir, and a box directory in it per IP. */
export async function makeShare(t: TestContext): Promise<{ root: string; backup: string; box: (ip: string) => Promise<string> }> {
  const root = await tempDir(t, 'tbx-imaging-');
  const backup = join(root, 'backup');
  await mkdir(backup, { recursive: true });
  await writeFile(join(backup, 'testbox-backup'), '');
  return {
    root,
    backup,
    box: async (ip) => {
      const dir = join(backup, ip);
      await mkdir(dir, { recursive: true });
      return dir;
    },
  };
}

/** A regular file as a disk target. */
export function diskAt(path: string, device = 'sda'): DiskTarget {
  return { device, path, size: statSync(path).size };
}

/** A chunk store with two real worker threads. */
export function store(options: ConstructorParameters<typeof ChunkStore>[0] = {}): ChunkStore {
  return new ChunkStore({ workers: 2, ...options });
}

/** What imaging calls get as context in tests. */
export const ctx = { log: silentLogger() };

/**
 * The usual start of a chunk-store test: a share, box 10.0.0.1, a `makeTestDisk` disk of
 * `size` bytes from `seed` (its SHA-256 in `sha`), backed up once as generation 1 (`first`).
 */
export async function backedUpDisk(t: TestContext, size: number, seed: string) {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.1');
  const disk = await makeTestDisk(join(share.root, 'sda'), size, seed);
  const sha = await sha256File(disk);
  const s = store();
  const first = await s.backup(diskAt(disk), box, { replace: false, ...ctx });
  return { share, box, disk, sha, s, first };
}

/** A frame builder with two worker threads, writing packs into the store of a fresh share. */
export async function frameBuilder(t: TestContext): Promise<{ s: StorePaths; packs: PackWriter; frames: FrameBuilder }> {
  const share = await makeShare(t);
  const s = storeAt(join(share.backup, '.tbx-chunks'));
  const pool = new WorkerPool(2);
  t.after(() => pool.close());
  const packs = new PackWriter(s, () => undefined);
  return { s, packs, frames: new FrameBuilder(pool, packs, DEFAULT_ZSTD) };
}
