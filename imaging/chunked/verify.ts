import { describeError } from '../../lib/errors.js';
import { encodeChecks } from './frame-builder.js';
import type { Logger } from '../../lib/logger.js';
import { ChunkIndex } from './chunk-index.js';
import { withGeneration } from './generation-file.js';
import { ENTRY, KIND } from './index-file.js';
import { packPaths, storeAt } from './layout.js';
import type { FrameChunk } from './pack-file.js';
import { listGenerationFiles } from './references.js';
import type { JobResult } from './worker-jobs.js';
import type { WorkerPool } from './worker-pool.js';
import { join, relative } from 'node:path';

/** What `tbx image verify` found. */
export interface VerifyReport {
  generations: number;
  chunks: number;
  frames: number;
  /** Compressed bytes read and checked. */
  bytes: number;
  problems: string[];
}

/** Digest table flags verify uses. */
const REFERENCED = 0;
const INTACT = 1;
/** Missing chunks reported per generation; the rest are counted. */
const MISSING_SHOWN = 20;

/**
 * Re-hash every chunk the given boxes' generations reference (every box's, by default):
 * each generation index must pass its checksum, each pack index too, every referenced chunk
 * must be in the store, and every frame holding a copy of one is read, checked against its
 * checksum, decompressed, and each referenced chunk in it re-hashed with BLAKE3 against its
 * digest. Every copy of a chunk is checked (restore and export fall back to another copy when
 * one is damaged, so each copy must be known good or reported); a damaged copy is a problem
 * even when another copy is intact, and the report says which. Memory: the store's chunk
 * index (chunk-index.ts); generation indexes are read in windows.
 */
export async function verifyImages(backupRoot: string, o: { ips?: string[]; pool: WorkerPool; log: Logger }): Promise<VerifyReport> {
  const store = storeAt(join(backupRoot, '.tbx-chunks'));
  const report: VerifyReport = { generations: 0, chunks: 0, frames: 0, bytes: 0, problems: [] };
  const index = await ChunkIndex.load(store, { onError: (err) => report.problems.push(describeError(err)) });
  const table = index.table;
  for (const path of await listGenerationFiles(backupRoot, o.ips)) {
    const name = relative(backupRoot, path);
    try {
      await withGeneration(path, async (gen) => {
        report.generations++;
        let missing = 0;
        for await (const { entries } of gen.windows()) {
          for (let e = 0; e < entries.length; e += ENTRY) {
            if (entries.readUInt32LE(e + 12) !== KIND.data || table.flagAll(entries, e + 16, REFERENCED)) continue;
            if (missing++ < MISSING_SHOWN) report.problems.push(`${name}: chunk ${entries.subarray(e + 16, e + 48).toString('hex')} is missing from the store`);
          }
        }
        if (missing > MISSING_SHOWN) report.problems.push(`${name}: ${missing - MISSING_SHOWN} more chunks are missing from the store`);
      });
    } catch (err) {
      report.problems.push(describeError(err));
    }
  }
  /** Damaged copies: a frame (its referenced chunks), or one chunk in it (its place in the frame's list). */
  const damaged: Array<{ why: string; frame: number; chunk: number | null }> = [];
  const jobs: Array<Promise<void>> = [];
  for (let f = 0; f < index.frameCount; f++) {
    const all = await index.chunksOf(f).catch((err: unknown) => (report.problems.push(describeError(err)), []));
    const chunks = all.filter((c) => table.flag(table.first(c.digest), REFERENCED));
    if (chunks.length === 0) continue;
    jobs.push(checkFrame(f, all, chunks));
    if (jobs.length >= o.pool.size * 2 + 1) await jobs.shift();
  }
  await Promise.all(jobs);
  for (const { why, frame, chunk } of damaged) {
    const all = await index.chunksOf(frame).catch(() => []);
    const held = chunk === null ? all.filter((c) => table.flag(table.first(c.digest), REFERENCED)) : all.slice(chunk, chunk + 1);
    const n = held.length;
    const lost = held.filter((c) => !table.flag(table.first(c.digest), INTACT)).length;
    report.problems.push(`${why} (${lost === 0 ? `${n === 1 ? 'its chunk has' : `all ${n} chunks have`} another intact copy, which restore and export use` : `${lost} of ${n} referenced chunks have no intact copy: images using them cannot be restored`})`);
  }
  return report;

  /** Read the frame and check it, decompress it and re-hash its referenced chunks, in a worker thread. */
  async function checkFrame(f: number, all: FrameChunk[], chunks: FrameChunk[]): Promise<void> {
    const frame = index.frame(f);
    let r: JobResult;
    try {
      r = await o.pool.run({ type: 'check-frame', pack: packPaths(store, frame.pack).pack, offset: frame.offset, length: frame.storedLength, digest: frame.digest, deep: { rawLength: frame.rawLength, checks: encodeChecks(chunks) } });
      if (r.type !== 'check-frame') throw new Error('unexpected worker result');
    } catch (err) {
      damaged.push({ why: `pack ${frame.pack}: the frame at ${frame.offset} cannot be read (${describeError(err)})`, frame: f, chunk: null });
      return;
    }
    if (!r.ok) {
      damaged.push({ why: `pack ${frame.pack} is damaged: the frame at offset ${frame.offset} (${frame.storedLength} bytes) does not match its checksum`, frame: f, chunk: null });
      return;
    }
    report.bytes += frame.storedLength;
    report.frames++;
    if (r.error) {
      damaged.push({ why: `pack ${frame.pack}: the frame at ${frame.offset} matches its checksum but ${r.error}`, frame: f, chunk: null });
      return;
    }
    const bad = new Set(r.bad);
    for (const [i, c] of chunks.entries()) {
      if (bad.has(i)) damaged.push({ why: `pack ${frame.pack}: chunk ${c.digest.toString('hex')} in the frame at ${frame.offset} does not match its digest`, frame: f, chunk: all.indexOf(c) });
      else {
        table.flagAll(c.digest, 0, INTACT);
        report.chunks++;
      }
    }
  }
}
