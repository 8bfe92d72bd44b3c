import { describeError } from '../../lib/errors.js';
import { encodeChecks } from './frame-builder.js';
import type { Logger } from '../../lib/logger.js';
import { KIND, readGeneration } from './index-file.js';
import { storeAt } from './layout.js';
import { closePacks, keyOf, listPacks, readFrame, readPackIndex, type ChunkMap, type Frame, type PackHandles } from './pack-file.js';
import { boxDirs } from './references.js';
import type { WorkerPool } from './worker-pool.js';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';

/** What `tbx image verify` found. */
export interface VerifyReport {
  generations: number;
  chunks: number;
  frames: number;
  /** Compressed bytes read and checked. */
  bytes: number;
  problems: string[];
}

/**
 * Re-hash every chunk the given boxes' generations reference (every box's, by default):
 * each generation index must pass its checksum, each pack index too, every referenced chunk
 * must be in the store, and every frame holding one is read, checked against its checksum,
 * decompressed, and each chunk in it re-hashed with BLAKE3 against its digest.
 */
export async function verifyImages(backupRoot: string, o: { ips?: string[]; pool: WorkerPool; log: Logger }): Promise<VerifyReport> {
  const store = storeAt(join(backupRoot, '.tbx-chunks'));
  const report: VerifyReport = { generations: 0, chunks: 0, frames: 0, bytes: 0, problems: [] };
  const map: ChunkMap = new Map();
  for (const id of (await listPacks(store)).indexed) {
    try {
      for (const frame of await readPackIndex(store, id)) for (const c of frame.chunks) map.set(keyOf(c.digest), { frame, inner: c.inner, length: c.length });
    } catch (err) {
      report.problems.push(describeError(err));
    }
  }
  const wanted = new Map<Frame, Set<string>>();
  for (const ip of o.ips ?? (await boxDirs(backupRoot))) {
    const images = join(backupRoot, ip, 'images');
    for (const dev of await readdir(images).catch(() => [] as string[])) {
      for (const name of (await readdir(join(images, dev)).catch(() => [] as string[])).filter((n) => /^\d{8}\.tbxi$/.test(n))) {
        const path = join(images, dev, name);
        try {
          const gen = await readGeneration(path);
          report.generations++;
          for (let o2 = 0; o2 < gen.entries.length; o2 += 48) {
            if (gen.entries.readUInt32LE(o2 + 12) !== KIND.data) continue;
            const key = keyOf(gen.entries.subarray(o2 + 16, o2 + 48));
            const loc = map.get(key);
            if (!loc) report.problems.push(`${ip}/images/${dev}/${name}: chunk ${Buffer.from(key, 'latin1').toString('hex')} is missing from the store`);
            else (wanted.get(loc.frame) ?? wanted.set(loc.frame, new Set()).get(loc.frame)!).add(key);
          }
        } catch (err) {
          report.problems.push(describeError(err));
        }
      }
    }
  }
  const handles: PackHandles = new Map();
  try {
    const jobs: Array<Promise<void>> = [];
    for (const [frame, keys] of wanted) {
      jobs.push(checkFrame(frame, keys));
      if (jobs.length >= o.pool.size * 2 + 1) await jobs.shift();
    }
    await Promise.all(jobs);
  } finally {
    await closePacks(handles);
  }
  return report;

  async function checkFrame(frame: Frame, keys: Set<string>): Promise<void> {
    try {
      const compressed = await readFrame(store, frame, handles);
      const chunks = frame.chunks.filter((c) => keys.has(keyOf(c.digest)));
      const checks = encodeChecks(chunks);
      report.bytes += compressed.length;
      const r = await o.pool.run({ type: 'decompress', compressed, rawLength: frame.rawLength, checks }, o.pool.size ? [compressed.buffer as ArrayBuffer] : []);
      if (r.type === 'decompress' && r.bad >= 0) report.problems.push(`pack ${frame.pack}: chunk ${chunks[r.bad]?.digest.toString('hex') ?? '?'} in the frame at ${frame.offset} does not match its digest`);
      report.frames++;
      report.chunks += chunks.length;
    } catch (err) {
      report.problems.push(describeError(err));
    }
  }
}
