import { describeError } from '../../lib/errors.js';
import { encodeChecks } from './frame-builder.js';
import type { Logger } from '../../lib/logger.js';
import { KIND, readGeneration } from './index-file.js';
import { storeAt } from './layout.js';
import { closePacks, keyOf, listPacks, readFrame, readPackIndex, type ChunkMap, type Frame, type PackHandles } from './pack-file.js';
import { boxDirs } from './references.js';
import type { JobResult } from './worker-jobs.js';
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
 * must be in the store, and every frame holding a copy of one is read, checked against its
 * checksum, decompressed, and each referenced chunk in it re-hashed with BLAKE3 against its
 * digest. Every copy of a chunk is checked (restore and export fall back to another copy when
 * one is damaged, so each copy must be known good or reported); a damaged copy is a problem
 * even when another copy is intact, and the report says which.
 */
export async function verifyImages(backupRoot: string, o: { ips?: string[]; pool: WorkerPool; log: Logger }): Promise<VerifyReport> {
  const store = storeAt(join(backupRoot, '.tbx-chunks'));
  const report: VerifyReport = { generations: 0, chunks: 0, frames: 0, bytes: 0, problems: [] };
  const map: ChunkMap = new Map();
  for (const id of (await listPacks(store)).indexed) {
    try {
      for (const frame of await readPackIndex(store, id)) {
        for (const c of frame.chunks) {
          const loc = { frame, inner: c.inner, length: c.length };
          const k = keyOf(c.digest);
          (map.get(k) ?? map.set(k, []).get(k)!).push(loc);
        }
      }
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
            const copies = map.get(key);
            if (!copies) report.problems.push(`${ip}/images/${dev}/${name}: chunk ${Buffer.from(key, 'latin1').toString('hex')} is missing from the store`);
            else for (const loc of copies) (wanted.get(loc.frame) ?? wanted.set(loc.frame, new Set()).get(loc.frame)!).add(key);
          }
        } catch (err) {
          report.problems.push(describeError(err));
        }
      }
    }
  }
  /** Damaged copies (a frame, or one chunk in it), with the chunks they hold; and chunks with an intact copy. */
  const damaged: Array<{ why: string; keys: string[] }> = [];
  const intact = new Set<string>();
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
  for (const { why, keys } of damaged) {
    const lost = keys.filter((k) => !intact.has(k)).length;
    report.problems.push(`${why} (${lost === 0 ? `${keys.length === 1 ? 'its chunk has' : `all ${keys.length} chunks have`} another intact copy, which restore and export use` : `${lost} of ${keys.length} referenced chunks have no intact copy: images using them cannot be restored`})`);
  }
  return report;

  async function checkFrame(frame: Frame, keys: Set<string>): Promise<void> {
    const chunks = frame.chunks.filter((c) => keys.has(keyOf(c.digest)));
    let compressed: Buffer;
    try {
      compressed = await readFrame(store, frame, handles);
    } catch (err) {
      damaged.push({ why: describeError(err), keys: chunks.map((c) => keyOf(c.digest)) });
      return;
    }
    report.bytes += compressed.length;
    report.frames++;
    // The job names only the first chunk that does not match: check again from the one after it.
    for (let from = 0; from < chunks.length; ) {
      const rest = chunks.slice(from);
      const copy = Buffer.from(compressed);
      let r: JobResult;
      try {
        r = await o.pool.run({ type: 'decompress', compressed: copy, rawLength: frame.rawLength, checks: encodeChecks(rest) }, o.pool.size ? [copy.buffer as ArrayBuffer] : []);
        if (r.type !== 'decompress') throw new Error('unexpected worker result');
      } catch (err) {
        damaged.push({ why: `pack ${frame.pack}: the frame at ${frame.offset} matches its checksum but does not decompress (${describeError(err)})`, keys: rest.map((c) => keyOf(c.digest)) });
        return;
      }
      const good = r.bad < 0 ? rest.length : r.bad;
      for (const c of rest.slice(0, good)) intact.add(keyOf(c.digest));
      report.chunks += good;
      if (r.bad < 0) return;
      damaged.push({ why: `pack ${frame.pack}: chunk ${rest[good]!.digest.toString('hex')} in the frame at ${frame.offset} does not match its digest`, keys: [keyOf(rest[good]!.digest)] });
      from += good + 1;
    }
  }
}
