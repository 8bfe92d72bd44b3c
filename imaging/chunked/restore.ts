import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../lib/logger.js';
import { ImageIntegrityError, type DiskTarget } from '../store.js';
import { describeError, TbxError } from '../../lib/errors.js';
import { chooseFrames, inPool, type FramePlan } from './frame-choice.js';
import { ENTRY, entryAt, KIND, type Entry, type Generation } from './index-file.js';
import { packPaths, type StorePaths } from './layout.js';
import { keyOf, loadChunkMap } from './pack-file.js';
import { blake3 } from './native.js';
import type { WorkerPool } from './worker-pool.js';
import { zeroRange } from './zero-range.js';
import { dropCache } from '../drop-cache.js';

/** Disk bytes compared per scan job. */
const SCAN_SIZE = 8 * 1024 * 1024;
const ZEROS = Buffer.alloc(1024 * 1024);
/** Share of sampled chunks that must already be on the disk for a differential restore. */
const SIMILAR = 0.1;
/** Chunks sampled to decide. */
const SAMPLES = 64;
/** Zero runs at least this long use the kernel's zero-range operation. */
const ZERO_RANGE_MIN = 4 * 1024 * 1024;

/** What one restore needs. */
export interface RestoreJob {
  generation: Generation;
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
 * 5. read back: the device's buffer cache is dropped and the whole disk is compared with the
 *    index again (the step 2 scan); any difference is an ImageIntegrityError, so a disk that
 *    does not hold the image is never reported restored.
 * Worker threads read the disk and the packs and write the disk themselves: 8 MiB buffers
 * never cross threads, which keeps the main thread's garbage collector out of the way.
 * Afterwards every extent of the disk matches the index, so the disk's digest is the index's.
 */
export async function restoreGeneration(job: RestoreJob): Promise<RestoreOutcome> {
  const { header, entries, count } = job.generation;
  if (job.disk.size < header.disk.size) throw new TbxError(`${job.disk.device} has ${job.disk.size} bytes, fewer than the ${header.disk.size} of the image`);
  const map = await loadChunkMap(job.store);
  for (let i = 0; i < count; i++) {
    const e = entryAt(entries, i);
    if (e.kind === KIND.data && !map.has(keyOf(e.digest))) {
      throw new ImageIntegrityError(`chunk ${e.digest.toString('hex')} (disk offset ${e.offset}) is missing from the chunk store; refusing to restore, 0 bytes written`);
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
    const similar = await sampleSimilarity(fh, job.generation);
    const diff = similar >= SIMILAR ? await scanDisk(fh, job) : everything(job.generation);
    lap(similar >= SIMILAR ? 'scan' : 'sample');
    const { plan: byFrame, verifiedBytes } = await chooseFrames(
      diff.dataIndexes.map((i) => entryAt(entries, i)),
      map,
      { store: job.store, pool: job.pool, log: job.log, what: `${header.device} generation ${header.generation}` },
    );
    lap('verify');
    job.log.debug({ similar, chunks: diff.dataIndexes.length, frames: byFrame.size, zeroRanges: diff.zeroRanges.length / 2, verifiedBytes }, 'restore plan');
    const written = { bytes: 0 };
    try {
      await Promise.all([writeFrames(fh, byFrame, job, written), writeZeros(fh, job.disk.path, diff.zeroRanges, written)]);
      lap('write');
      await fh.sync();
      lap('sync');
    } catch (err) {
      throw new ImageIntegrityError(`restoring ${header.device} generation ${header.generation} failed after ${written.bytes} bytes written: ${describeError(err)}`, { cause: err });
    }
    await dropCache(job.disk.path);
    const { progress: _progress, ...quiet } = job;
    const after = await scanDisk(fh, quiet);
    lap('read-back');
    if (after.dataIndexes.length || after.zeroRanges.length) {
      throw new ImageIntegrityError(`${job.disk.device} does not read back as generation ${header.generation} after writing ${written.bytes} bytes: ${after.dataIndexes.length} chunks and ${after.zeroRanges.length / 2} zero runs differ (a failing disk?)`);
    }
    // Every extent matches the index: the disk's digest, computed over those extents, is the index's.
    return { bytesWritten: written.bytes, chunksWritten: diff.dataIndexes.length, verifiedBytes, digest: header.digest, readBack: header.digest, phases };
  } finally {
    await fh.close();
  }
}

/** The share of up to SAMPLES data chunks, spread over the disk, that the disk already holds. */
async function sampleSimilarity(fh: FileHandle, gen: Generation): Promise<number> {
  const data: number[] = [];
  for (let i = 0; i < gen.count; i++) if (gen.entries.readUInt32LE(i * ENTRY + 12) === KIND.data) data.push(i);
  if (data.length === 0) return 1;
  const picks = [...new Set(Array.from({ length: Math.min(SAMPLES, data.length) }, (_, k) => data[Math.floor((k * data.length) / Math.min(SAMPLES, data.length))]!))];
  let same = 0;
  for (const i of picks) {
    const e = entryAt(gen.entries, i);
    const buf = Buffer.allocUnsafe(e.length);
    const { bytesRead } = await fh.read(buf, 0, e.length, e.offset);
    if (bytesRead === e.length && blake3(buf).equals(e.digest)) same++;
  }
  return same / picks.length;
}

/** Without a scan: every data extent and every zero or free run is to be written. */
function everything(gen: Generation): { dataIndexes: number[]; zeroRanges: number[] } {
  const dataIndexes: number[] = [];
  const zeroRanges: number[] = [];
  for (let i = 0; i < gen.count; i++) {
    const e = entryAt(gen.entries, i);
    if (e.kind === KIND.data) dataIndexes.push(i);
    else zeroRanges.push(e.offset, e.length);
  }
  return { dataIndexes, zeroRanges: coalesce(zeroRanges) };
}

/** Step 2: compare the disk with the index: worker threads read and compare 8 MiB at a time. */
async function scanDisk(fh: FileHandle, job: RestoreJob): Promise<{ dataIndexes: number[]; zeroRanges: number[] }> {
  const { entries, count, header } = job.generation;
  const dataIndexes: number[] = [];
  const zeroRanges: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  let done = 0;
  for (const batch of scanBatches(entries, count)) {
    const { start, end, table, base } = batch;
    const task = job.pool.run({ type: 'scan', fd: fh.fd, start, end, entries: table }, job.pool.size ? [table.buffer as ArrayBuffer] : []).then((r) => {
      if (r.type !== 'scan') throw new Error('unexpected worker result');
      for (const i of r.dataIndexes) dataIndexes.push(base + i);
      zeroRanges.push(...r.zeroRanges);
      job.progress?.((done += end - start), header.disk.size);
    });
    task.catch(() => undefined);
    inFlight.push(task);
    if (inFlight.length >= Math.max(2, job.pool.size * 3)) await inFlight.shift();
  }
  await Promise.all(inFlight);
  dataIndexes.sort((a, b) => a - b);
  return { dataIndexes, zeroRanges: coalesce(zeroRanges) };
}

/**
 * Runs of consecutive entries covering at most SCAN_SIZE bytes; a longer zero or free extent
 * is split into SCAN_SIZE pieces of its own, so no read buffer is ever larger.
 */
function* scanBatches(entries: Buffer, count: number): Generator<{ start: number; end: number; table: Buffer; base: number }> {
  for (let first = 0; first < count; ) {
    const head = entryAt(entries, first);
    if (head.length > SCAN_SIZE) {
      for (let o = head.offset; o < head.offset + head.length; o += SCAN_SIZE) {
        const n = Math.min(SCAN_SIZE, head.offset + head.length - o);
        const table = Buffer.alloc(ENTRY);
        table.writeUInt32LE(o % 0x100000000, 0);
        table.writeUInt32LE(Math.floor(o / 0x100000000), 4);
        table.writeUInt32LE(n, 8);
        table.writeUInt32LE(KIND.zero, 12);
        yield { start: o, end: o + n, table, base: -1 };
      }
      first++;
      continue;
    }
    let last = first;
    let end = head.offset + head.length;
    while (last + 1 < count) {
      const e = entryAt(entries, last + 1);
      if (e.offset + e.length - head.offset > SCAN_SIZE) break;
      last++;
      end = e.offset + e.length;
    }
    // A copy in its own memory (never Node's shared pool): it is transferred to a worker.
    const table = Buffer.allocUnsafeSlow((last + 1 - first) * ENTRY);
    entries.copy(table, 0, first * ENTRY, (last + 1) * ENTRY);
    yield { start: head.offset, end, table, base: first };
    first = last + 1;
  }
}

/** Sort `[offset, length]` pairs and merge touching ones (scan jobs end at arbitrary points). */
function coalesce(pairs: number[]): number[] {
  const list: Array<[number, number]> = [];
  for (let i = 0; i < pairs.length; i += 2) list.push([pairs[i]!, pairs[i + 1]!]);
  list.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [o, l] of list) {
    if (out.length && out[out.length - 2]! + out[out.length - 1]! === o) out[out.length - 1]! += l;
    else out.push(o, l);
  }
  return out;
}

/**
 * Step 4: each frame goes to a worker thread that reads it, checks it, decompresses it,
 * checks every chunk to write against its digest and writes them to the disk itself (the
 * data never crosses threads). Adds the bytes written to `written` as they land.
 */
async function writeFrames(fh: FileHandle, byFrame: FramePlan, job: RestoreJob, written: { bytes: number }): Promise<void> {
  const frames = [...byFrame.keys()].sort((a, b) => byFrame.get(a)![0]!.e.offset - byFrame.get(b)![0]!.e.offset);
  await inPool(frames, job.pool, async (f) => {
    const list = byFrame.get(f)!;
    const writes = Buffer.alloc(list.length * 48);
    list.forEach(({ e, loc }, i) => {
      writes.writeUInt32LE(loc.inner, i * 48);
      writes.writeUInt32LE(loc.length, i * 48 + 4);
      e.digest.copy(writes, i * 48 + 8);
      writes.writeDoubleLE(e.offset, i * 48 + 40);
    });
    const r = await job.pool.run({ type: 'restore-frame', pack: packPaths(job.store, f.pack).pack, offset: f.offset, length: f.storedLength, digest: f.digest, rawLength: f.rawLength, fd: fh.fd, writes });
    if (r.type !== 'restore-frame') throw new Error('unexpected worker result');
    written.bytes += r.written;
    if (r.error !== undefined) throw new TbxError(`writing to ${job.disk.device} failed: ${r.error}`);
    if (r.bad !== -1) throw new ImageIntegrityError(`pack ${f.pack}: the frame at ${f.offset} ${r.bad === -2 ? 'no longer matches its checksum' : 'holds a chunk that does not match its digest'}; restore stopped`);
  });
}

/**
 * Zero the `[offset, length]` pairs. Large ranges go to the kernel's zero-range operation
 * (util-linux `fallocate --zero-range`: unwritten extents on a file, WRITE ZEROES or plain
 * zero writes on a block device), small ones and any the kernel refuses are written.
 * Adds the bytes zeroed to `written` as they are.
 */
async function writeZeros(fh: FileHandle, path: string, ranges: number[], written: { bytes: number }): Promise<void> {
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < ranges.length; i += 2) (ranges[i + 1]! >= ZERO_RANGE_MIN ? large : small).push(ranges[i]!, ranges[i + 1]!);
  for (let i = 0; i < large.length; i += 2) {
    if (await zeroRange(path, large[i]!, large[i + 1]!)) written.bytes += large[i + 1]!;
    else small.push(large[i]!, large[i + 1]!);
  }
  const jobs: Array<Promise<void>> = [];
  for (let i = 0; i < small.length; i += 2) {
    for (let o = small[i]!, end = o + small[i + 1]!; o < end; o += ZEROS.length) {
      const n = Math.min(ZEROS.length, end - o);
      jobs.push(writeFully(fh, ZEROS.subarray(0, n), o, written));
      if (jobs.length >= 16) await Promise.all(jobs.splice(0));
    }
  }
  await Promise.all(jobs);
}

async function writeFully(fh: FileHandle, buf: Buffer, at: number, written: { bytes: number }): Promise<void> {
  for (let o = 0; o < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, o, buf.length - o, at + o);
    o += bytesWritten;
    written.bytes += bytesWritten;
  }
}
