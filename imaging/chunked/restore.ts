import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../lib/logger.js';
import { ImageIntegrityError, type DiskTarget } from '../store.js';
import { describeError, TbxError } from '../../lib/errors.js';
import { ChunkIndex } from './chunk-index.js';
import { chooseFrames, inPool, type Choice } from './frame-choice.js';
import type { GenerationFile } from './generation-file.js';
import { ENTRY, KIND } from './index-file.js';
import { packPaths, type StorePaths } from './layout.js';
import { keyOf, type FrameChunk } from './pack-file.js';
import { countData, RangeList, sampleSimilarity, scanDisk, writesData, type Diff } from './restore-scan.js';
import type { WorkerPool } from './worker-pool.js';
import { Writeback } from './writeback.js';
import { zeroRanges } from './zero-range.js';
import { dropCache } from '../drop-cache.js';

const ZEROS = Buffer.alloc(1024 * 1024);
/** Share of sampled chunks that must already be on the disk for a differential restore. */
const SIMILAR = 0.1;
/** Zero runs at least this long use the kernel's zero-range operation. */
const ZERO_RANGE_MIN = 4 * 1024 * 1024;
/** Entries whose chunks are grouped by frame and written at a time (about 1 GiB of 64 KiB chunks). */
const WRITE_WINDOW = 16384;

/** What one restore needs. */
export interface RestoreJob {
  generation: GenerationFile;
  disk: DiskTarget;
  store: StorePaths;
  pool: WorkerPool;
  log: Logger;
  progress?: (done: number, total: number) => void;
}

/** What a restore did. */
export interface RestoreOutcome {
  /** Bytes written to the disk (data chunks plus zeroed blocks). */
  bytesWritten: number;
  chunksWritten: number;
  /** Compressed bytes read from the store and verified before the first write. */
  verifiedBytes: number;
  /** The disk digest, equal to the generation's. */
  digest: string;
  /** The digest of the disk as read back after fsync (equal to `digest`, or the restore throws). */
  readBack: string;
  /** Seconds spent per step (scan, verify, write, zero, sync), for logs and the benchmark. */
  phases: Record<string, number>;
}

/**
 * Restore a generation onto a disk, differentially and verified before writing:
 * 1. every data chunk must be in the store;
 * 2. the disk is read and compared with the index (BLAKE3 per data extent, zero check per
 *    4 KiB block of zero and free extents), giving the chunks and blocks that differ; unless a
 *    sample of its chunks shows it does not resemble the image, then everything is written;
 * 3. a copy of every chunk to write is chosen and its frame read and checked (frame-choice.ts):
 *    an image without an intact copy of every chunk fails here, before the first byte is written;
 * 4. frames are decompressed in worker threads, every chunk is checked against its digest
 *    again, and only differing chunks and non-zero blocks are written; then fsync;
 * 5. read back: the device's buffer cache is dropped and everything written is compared with
 *    the index again (the step 2 scan, limited to the diff); any difference is an
 *    ImageIntegrityError, so a disk that does not hold the image is never reported restored.
 *    What was not written, step 2 compared in this run. Zero runs that are now holes or
 *    unwritten extents of a regular file are not read again: the file system reads them as
 *    zero by definition, and reading gigabytes of them would only check the file system.
 * Worker threads read the disk and the packs and write the disk themselves: 8 MiB buffers
 * never cross threads, which keeps the main thread's garbage collector out of the way. The
 * index is read in windows; what is held for the whole disk is the store's chunk index
 * (chunk-index.ts), 1 bit per entry and 16 bytes per differing zero run.
 * Afterwards every extent of the disk matches the index, so the disk's digest is the index's.
 */
export async function restoreGeneration(job: RestoreJob): Promise<RestoreOutcome> {
  const gen = job.generation;
  const { header } = gen;
  if (job.disk.size < header.disk.size) throw new TbxError(`${job.disk.device} has ${job.disk.size} bytes, fewer than the ${header.disk.size} of the image`);
  const index = await ChunkIndex.load(job.store);
  for await (const { entries } of gen.windows()) {
    for (let o = 0; o < entries.length; o += ENTRY) {
      if (entries.readUInt32LE(o + 12) === KIND.data && index.table.first(entries, o + 16) < 0) {
        const at = entries.readUInt32LE(o) + entries.readUInt32LE(o + 4) * 0x100000000;
        throw new ImageIntegrityError(`chunk ${entries.subarray(o + 16, o + 48).toString('hex')} (disk offset ${at}) is missing from the chunk store; refusing to restore, 0 bytes written`);
      }
    }
  }
  const fh = await open(job.disk.path, 'r+');
  const phases: Record<string, number> = {};
  let t = Date.now();
  const lap = (name: string) => {
    phases[name] = (Date.now() - t) / 1000;
    t = Date.now();
  };
  try {
    // A disk that does not resemble the image at all (a sample of its chunks) is written whole:
    // reading and hashing all of it first would only find that everything differs.
    const similar = await sampleSimilarity(fh, gen);
    const diff: Diff = similar >= SIMILAR ? (await scanDisk(fh, gen, job.pool, { record: true, ...(job.progress ? { progress: job.progress } : {}) })).diff : { data: null, zeros: null, chunks: await countData(gen) };
    lap(similar >= SIMILAR ? 'scan' : 'sample');
    const what = `${header.device} generation ${header.generation}`;
    const choice = await chooseFrames(gen, diff, index, { pool: job.pool, log: job.log, what });
    lap('verify');
    job.log.debug({ similar, chunks: diff.chunks, frames: choice.frames, zeroRanges: diff.zeros?.length ?? 'all', verifiedBytes: choice.verifiedBytes }, 'restore plan');
    const written = new Writeback(fh);
    const holes = new RangeList();
    try {
      await Promise.all([writeFrames(fh, gen, diff, index, choice, job, written), writeZeros(fh, job.disk.path, zeroRuns(gen, diff), written, holes)]);
      lap('write');
      await written.settle();
      await fh.sync();
      lap('sync');
    } catch (err) {
      throw new ImageIntegrityError(`restoring ${what} failed after ${written.bytes} bytes written: ${describeError(err)}`, { cause: err });
    }
    await dropCache(job.disk.path);
    const after = await scanDisk(fh, gen, job.pool, { record: false, holes, only: diff });
    lap('read-back');
    if (after.diff.chunks || after.zeroRuns) {
      throw new ImageIntegrityError(`${job.disk.device} does not read back as generation ${header.generation} after writing ${written.bytes} bytes: ${after.diff.chunks} chunks and ${after.zeroRuns} zero runs differ (a failing disk?)`);
    }
    // Every extent matches the index: the disk's digest, computed over those extents, is the index's.
    return { bytesWritten: written.bytes, chunksWritten: diff.chunks, verifiedBytes: choice.verifiedBytes, digest: header.digest, readBack: header.digest, phases };
  } finally {
    await fh.close();
  }
}

/**
 * Step 4, a window of entries at a time: the chunks to write are grouped by the frame chosen
 * for them, and each frame goes to a worker thread that reads it, checks it, decompresses it,
 * checks every chunk to write against its digest and writes them to the disk itself (the data
 * never crosses threads). Adds the bytes written to `written` as they land.
 */
async function writeFrames(fh: FileHandle, gen: GenerationFile, diff: Diff, index: ChunkIndex, choice: Choice, job: RestoreJob, written: Writeback): Promise<void> {
  for await (const { first, entries } of gen.windows(WRITE_WINDOW)) {
    const byFrame = new Map<number, number[]>();
    for (let j = 0, o = 0; o < entries.length; j++, o += ENTRY) {
      if (entries.readUInt32LE(o + 12) !== KIND.data || !writesData(diff, first + j)) continue;
      const f = choice.pick(entries, o + 16);
      if (f < 0) throw new ImageIntegrityError(`chunk ${entries.subarray(o + 16, o + 48).toString('hex')} lost its verified copy during the restore`);
      (byFrame.get(f) ?? byFrame.set(f, []).get(f)!).push(o);
    }
    await inPool([...byFrame], job.pool, async ([f, list]) => {
      const fr = index.frame(f);
      const inFrame = new Map<string, FrameChunk>();
      for (const c of await index.chunksOf(f)) inFrame.set(keyOf(c.digest), c);
      const writes = Buffer.alloc(list.length * 48);
      list.forEach((o, i) => {
        const digest = entries.subarray(o + 16, o + 48);
        const c = inFrame.get(keyOf(digest));
        if (!c) throw new ImageIntegrityError(`pack ${fr.pack}: its index no longer lists chunk ${digest.toString('hex')} in the frame at ${fr.offset}`);
        writes.writeUInt32LE(c.inner, i * 48);
        writes.writeUInt32LE(c.length, i * 48 + 4);
        digest.copy(writes, i * 48 + 8);
        writes.writeDoubleLE(entries.readUInt32LE(o) + entries.readUInt32LE(o + 4) * 0x100000000, i * 48 + 40);
      });
      const r = await job.pool.run({ type: 'restore-frame', pack: packPaths(job.store, fr.pack).pack, offset: fr.offset, length: fr.storedLength, digest: fr.digest, rawLength: fr.rawLength, fd: fh.fd, writes });
      if (r.type !== 'restore-frame') throw new Error('unexpected worker result');
      written.add(r.written);
      if (r.error !== undefined) throw new TbxError(`writing to ${job.disk.device} failed: ${r.error}`);
      if (r.bad !== -1) throw new ImageIntegrityError(`pack ${fr.pack}: the frame at ${fr.offset} ${r.bad === -2 ? 'no longer matches its checksum' : 'holds a chunk that does not match its digest'}; restore stopped`);
    });
  }
}

/** The `[offset, length]` runs to zero: those the scan found, or every zero and free run of the index. */
async function* zeroRuns(gen: GenerationFile, diff: Diff): AsyncGenerator<[number, number]> {
  if (diff.zeros) {
    yield* diff.zeros;
    return;
  }
  let run: [number, number] | null = null;
  for await (const { entries } of gen.windows()) {
    for (let o = 0; o < entries.length; o += ENTRY) {
      const offset = entries.readUInt32LE(o) + entries.readUInt32LE(o + 4) * 0x100000000;
      const length = entries.readUInt32LE(o + 8);
      if (entries.readUInt32LE(o + 12) === KIND.data) {
        if (run) yield run;
        run = null;
      } else if (run && run[0] + run[1] === offset) run[1] += length;
      else {
        if (run) yield run;
        run = [offset, length];
      }
    }
  }
  if (run) yield run;
}

/** Large zero runs handed to the kernel at a time. */
const ZERO_BATCH = 256;

/**
 * Zero the runs. Large ones go to the kernel in batches (see {@link zeroRanges}: zero-range
 * or punch-hole on a regular file, WRITE ZEROES or plain zero writes on a block device), small ones
 * and any the kernel refuses are written. Adds the bytes zeroed to `written` as they are, and
 * the runs that a regular file's file system now reads as zero by definition to `holes`.
 */
async function writeZeros(fh: FileHandle, path: string, runs: AsyncIterable<[number, number]>, written: Writeback, holes: RangeList): Promise<void> {
  const jobs: Array<Promise<void>> = [];
  const write = async (offset: number, length: number) => {
    for (let o = offset, end = offset + length; o < end; o += ZEROS.length) {
      jobs.push(writeFully(fh, ZEROS.subarray(0, Math.min(ZEROS.length, end - o)), o, written));
      if (jobs.length >= 16) await Promise.all(jobs.splice(0));
    }
  };
  let batch: Array<[number, number]> = [];
  const flush = async () => {
    const done = await zeroRanges(path, batch);
    for (const [i, [offset, length]] of batch.entries()) {
      if (!done[i]) await write(offset, length);
      else {
        written.add(length);
        if (done[i] === 'hole') holes.push(offset, length);
      }
    }
    batch = [];
  };
  for await (const [offset, length] of runs) {
    if (length < ZERO_RANGE_MIN) await write(offset, length);
    else if (batch.push([offset, length]) >= ZERO_BATCH) await flush();
  }
  await flush();
  await Promise.all(jobs);
}

async function writeFully(fh: FileHandle, buf: Buffer, at: number, written: Writeback): Promise<void> {
  for (let o = 0; o < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, o, buf.length - o, at + o);
    o += bytesWritten;
    written.add(bytesWritten);
  }
}
