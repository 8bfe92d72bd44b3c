import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../lib/logger.js';
import { DEFAULT_ZSTD } from './compression.js';
import { FrameBuilder } from './frame-builder.js';
import { IMAGES_DIR, packPaths, storeAt, type StorePaths } from './layout.js';
import { lockStore, type StoreLock } from './locks.js';
import { LockBusyError } from '../../lib/errors.js';
import { ChunkIndex } from './chunk-index.js';
import { withGeneration } from './generation-file.js';
import { ENTRY, KIND } from './index-file.js';
import { closePacks, listPacks, PackWriter, readFrame, readPackIndex, type PackHandles } from './pack-file.js';
import { boxDirs, listGenerationFiles } from './references.js';

/** The digest table flag that marks a live chunk. */
const LIVE = 0;
import type { WorkerPool } from './worker-pool.js';
import { ImageIntegrityError } from '../store.js';

/** What a gc pass found and did. */
export interface GcReport {
  generations: number;
  referencedChunks: number;
  packs: number;
  deletedPacks: number;
  repackedPacks: number;
  /** Packs without an index or temp files of crashed writers, removed after the grace period. */
  deletedOrphans: number;
  freedBytes: number;
  dryRun: boolean;
}

/** How gc runs. */
export interface GcOptions {
  backupRoot: string;
  pool: WorkerPool;
  log: Logger;
  /** Files younger than this are never deleted (default 1 hour). */
  graceMs?: number;
  /** Repack a pack whose live share of raw bytes is below this (default 0.5; 0 never repacks). */
  repackBelow?: number;
  dryRun?: boolean;
  now?: () => number;
  /** Called between mark and sweep (tests start a backup there). */
  afterMark?: () => Promise<void>;
}

/**
 * Mark and sweep the chunk store. Mark: every chunk referenced by any generation of any box
 * (a damaged index stops gc). Sweep: a pack with no live chunk is deleted (index first, so it
 * stops counting before its data goes); a mostly dead one is repacked (live chunks are copied,
 * checked against their digests, into new packs that are durable and indexed before the old
 * pack goes). Safe against backups running at the same time: gc holds the store's exclusive
 * lock (backups and restores hold shared ones), and never deletes a file younger than the
 * grace period. A lock can look stale to a backup whose clock differs or whose NFS client
 * caches the lock directory, so after marking gc checks again, and deletes nothing if another
 * lock or a generation it did not mark has appeared meanwhile (a backup re-checks its packs too).
 */
export async function collectGarbage(o: GcOptions): Promise<GcReport> {
  const store = storeAt(join(o.backupRoot, '.tbx-chunks'));
  const lock = await lockStore(store, 'exclusive');
  const now = o.now ?? Date.now;
  const grace = o.graceMs ?? 60 * 60 * 1000;
  const old = async (path: string) => {
    const st = await lstat(path).catch(() => undefined);
    return st !== undefined && now() - st.mtimeMs >= grace;
  };
  const report: GcReport = { generations: 0, referencedChunks: 0, packs: 0, deletedPacks: 0, repackedPacks: 0, deletedOrphans: 0, freedBytes: 0, dryRun: o.dryRun === true };
  try {
    // Mark: every copy of every chunk any generation references.
    const index = await ChunkIndex.load(store);
    const paths = await listGenerationFiles(o.backupRoot);
    for (const path of paths) {
      await withGeneration(path, async (gen) => {
        for await (const { entries } of gen.windows()) {
          for (let e = 0; e < entries.length; e += ENTRY) {
            if (entries.readUInt32LE(e + 12) !== KIND.data) continue;
            const h = index.table.first(entries, e + 16);
            if (h < 0 || index.table.flag(h, LIVE)) continue;
            index.table.flagAll(entries, e + 16, LIVE);
            report.referencedChunks++;
          }
        }
      });
    }
    report.generations = paths.length;
    const live = (digest: Buffer) => {
      const h = index.table.first(digest);
      return h >= 0 && index.table.flag(h, LIVE);
    };
    await o.afterMark?.();
    await confirmNothingNew(lock, o.backupRoot, new Set(paths));
    const { indexed, unindexed } = await listPacks(store);
    report.packs = indexed.length;
    for (const id of indexed) {
      const p = packPaths(store, id);
      const frames = await readPackIndex(store, id);
      let total = 0;
      let alive = 0;
      for (const f of frames) for (const c of f.chunks) (total += c.length), live(c.digest) && (alive += c.length);
      if (alive === total || !(await old(p.pack))) continue;
      const size = (await lstat(p.pack)).size;
      if (alive === 0) {
        o.log.info({ pack: id, bytes: size }, 'deleting unreferenced pack');
        if (!o.dryRun) await deletePack(store, id);
        report.deletedPacks++;
        report.freedBytes += size;
      } else if (alive / total < (o.repackBelow ?? 0.5)) {
        o.log.info({ pack: id, live: alive / total }, 'repacking mostly unreferenced pack');
        if (!o.dryRun) await repack(store, id, live, o.pool);
        report.repackedPacks++;
        report.freedBytes += Math.round(size * (1 - alive / total));
      }
    }
    for (const id of unindexed) {
      const p = packPaths(store, id);
      if (!(await old(p.pack))) continue;
      if (!o.dryRun) await unlink(p.pack);
      report.deletedOrphans++;
    }
    report.deletedOrphans += await sweepTempFiles(store, o.backupRoot, old, o.dryRun === true);
    return report;
  } finally {
    await lock.release();
  }
}

/**
 * Between mark and sweep: no other store lock may have appeared, and no generation gc did not
 * mark (a backup that did not see gc's lock may have committed one that uses a pack gc is about
 * to delete). Throws LockBusyError with nothing deleted.
 */
async function confirmNothingNew(lock: StoreLock, backupRoot: string, marked: Set<string>): Promise<void> {
  const conflicts = await lock.conflicts();
  if (conflicts.length) throw new LockBusyError(`a backup or restore took the chunk store while gc was marking (${conflicts.join(', ')}); nothing was deleted, run gc again later`);
  const added = (await listGenerationFiles(backupRoot)).filter((p) => !marked.has(p));
  if (added.length) throw new LockBusyError(`a generation was written while gc was marking (${added[0]}): a backup that did not see gc's lock? nothing was deleted, run gc again later`);
}

async function deletePack(store: StorePaths, id: string): Promise<void> {
  const p = packPaths(store, id);
  await unlink(p.index);
  await unlink(p.pack);
}

/** Copy the live chunks of pack `id` into new packs, then delete it. */
async function repack(store: StorePaths, id: string, live: (digest: Buffer) => boolean, pool: WorkerPool): Promise<void> {
  const { zstdDecompressor, blake3 } = await import('./native.js');
  const decompress = zstdDecompressor();
  const writer = new PackWriter(store, () => undefined);
  const frames = new FrameBuilder(pool, writer, DEFAULT_ZSTD);
  const handles: PackHandles = new Map();
  try {
    for (const f of await readPackIndex(store, id)) {
      const keep = f.chunks.filter((c) => live(c.digest));
      if (keep.length === 0) continue;
      const raw = decompress(await readFrame(store, f, handles));
      for (const c of keep) {
        const data = raw.subarray(c.inner, c.inner + c.length);
        if (!blake3(data).equals(c.digest)) throw new ImageIntegrityError(`pack ${id}: chunk ${c.digest.toString('hex')} is damaged; not repacking it (run tbx image verify)`);
        await frames.add(data, c.digest);
      }
    }
    await frames.finish();
    await writer.finish();
  } finally {
    await closePacks(handles);
  }
  await deletePack(store, id);
}

/** Remove temp files of crashed writers (packs, pack indexes, generation indexes). */
async function sweepTempFiles(store: StorePaths, backupRoot: string, old: (p: string) => Promise<boolean>, dryRun: boolean): Promise<number> {
  let n = 0;
  const dirs: string[] = [];
  for (const sub of await readdir(store.packs).catch(() => [] as string[])) dirs.push(join(store.packs, sub));
  for (const ip of await boxDirs(backupRoot)) {
    for (const dev of await readdir(join(backupRoot, ip, IMAGES_DIR)).catch(() => [] as string[])) dirs.push(join(backupRoot, ip, IMAGES_DIR, dev));
  }
  for (const dir of dirs) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!/^\..*\.tmp-/.test(name) || !(await old(join(dir, name)))) continue;
      if (!dryRun) await unlink(join(dir, name));
      n++;
    }
  }
  return n;
}
