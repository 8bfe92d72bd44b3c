import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../lib/logger.js';
import { ImageIntegrityError, type DiskTarget } from '../store.js';
import { TbxError } from '../../lib/errors.js';
import { ENTRY, entryAt, KIND, type Generation } from './index-file.js';
import type { StorePaths } from './layout.js';
import { closePacks, keyOf, loadChunkMap, readFrame, type ChunkLocation, type Frame, type PackHandles } from './pack-file.js';
import type { WorkerPool } from './worker-pool.js';
import { zeroRange } from './zero-range.js';

/** Disk bytes compared per scan job. */
const SCAN_SIZE = 8 * 1024 * 1024;
/** Scan reads in flight: enough to keep the disk and every worker busy. */
const SCAN_IN_FLIGHT = 8;
/** Raw bytes of chunks written per window (frames of the next window decompress meanwhile). */
const WINDOW = 32 * 1024 * 1024;
const ZEROS = Buffer.alloc(1024 * 1024);
/** Zero runs at least this long use the kernel's zero-range operation. */
const ZERO_RANGE_MIN = 4 * 1024 * 1024;
/** Frames decompressed per window at most. */
const MAX_FRAMES = 8;

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
  /** Seconds spent per step (scan, verify, write, zero, sync), for logs and the benchmark. */
  phases: Record<string, number>;
}

/**
 * Restore a generation onto a disk, differentially and verified before writing:
 * 1. every data chunk must be in the store;
 * 2. the disk is read and compared with the index (BLAKE3 per data extent, zero check per
 *    4 KiB block of zero and free extents), giving the chunks and blocks that differ;
 * 3. every frame holding a chunk to write is read and checked against its checksum: a damaged
 *    image fails here, before the first byte is written;
 * 4. frames are decompressed in the worker pool, every chunk is checked against its digest
 *    again, and only differing chunks and non-zero blocks are written; then fsync.
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
    const diff = await scanDisk(fh, job);
    lap('scan');
    const need = diff.dataIndexes.map((i) => ({ e: entryAt(entries, i), loc: map.get(keyOf(entryAt(entries, i).digest))! }));
    let verifiedBytes = 0;
    try {
      verifiedBytes = await verifyFrames(job.store, need.map((n) => n.loc.frame));
    } catch (err) {
      throw new ImageIntegrityError(`refusing to restore ${header.device} generation ${header.generation}, 0 bytes written`, { cause: err });
    }
    lap('verify');
    job.log.debug({ chunks: need.length, zeroRanges: diff.zeroRanges.length / 2, largeZeroRanges: diff.zeroRanges.filter((l, i) => i % 2 === 1 && l >= ZERO_RANGE_MIN).length, verifiedBytes }, 'restore plan');
    const [data, zeros] = await Promise.all([writeChunks(fh, need, job), writeZeros(fh, job.disk.path, diff.zeroRanges)]);
    lap('write');
    await fh.sync();
    lap('sync');
    return { bytesWritten: data + zeros, chunksWritten: need.length, verifiedBytes, digest: header.digest, phases };
  } finally {
    await fh.close();
  }
}

/** Step 2: compare the disk with the index, in parallel jobs over large aligned reads. */
async function scanDisk(fh: FileHandle, job: RestoreJob): Promise<{ dataIndexes: number[]; zeroRanges: number[] }> {
  const { entries, count, header } = job.generation;
  const dataIndexes: number[] = [];
  const zeroRanges: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  let done = 0;
  const free: ArrayBuffer[] = [];
  for (const batch of scanBatches(entries, count)) {
    const { start, end, table, base } = batch;
    const buf = Buffer.from(free.pop() ?? new ArrayBuffer(SCAN_SIZE), 0, end - start);
    const task = (async () => {
      await readFully(fh, buf, start);
      const r = await job.pool.run({ type: 'scan', buf, base: start, entries: table }, job.pool.size ? [buf.buffer as ArrayBuffer, table.buffer as ArrayBuffer] : []);
      if (r.type !== 'scan') throw new Error('unexpected worker result');
      free.push(r.buf.buffer as ArrayBuffer);
      for (const i of r.dataIndexes) dataIndexes.push(base + i);
      zeroRanges.push(...r.zeroRanges);
      job.progress?.((done += end - start), header.disk.size);
    })();
    task.catch(() => undefined);
    inFlight.push(task);
    if (inFlight.length >= SCAN_IN_FLIGHT) await inFlight.shift();
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

/** Step 3: read every distinct frame once and check its checksum. Returns the bytes read. */
async function verifyFrames(store: StorePaths, frames: Frame[]): Promise<number> {
  const unique = [...new Set(frames)].sort((a, b) => (a.pack === b.pack ? a.offset - b.offset : a.pack < b.pack ? -1 : 1));
  const handles: PackHandles = new Map();
  let bytes = 0;
  try {
    for (const f of unique) bytes += (await readFrame(store, f, handles)).length;
  } finally {
    await closePacks(handles);
  }
  return bytes;
}

/** Step 4: decompress (in the pool, checking every chunk) and write the chunks that differ. */
async function writeChunks(fh: FileHandle, need: Array<{ e: ReturnType<typeof entryAt>; loc: ChunkLocation }>, job: RestoreJob): Promise<number> {
  const handles: PackHandles = new Map();
  const windows: Array<typeof need> = [];
  let frames = new Set<Frame>();
  for (let i = 0, size = 0; i < need.length; i++) {
    if (size === 0) windows.push([]);
    windows.at(-1)!.push(need[i]!);
    frames.add(need[i]!.loc.frame);
    size += need[i]!.e.length;
    // Bounded memory: a window closes at WINDOW raw bytes of chunks or MAX_FRAMES frames.
    if (size >= WINDOW || frames.size >= MAX_FRAMES) {
      size = 0;
      frames = new Set();
    }
  }
  const prepare = (w: typeof need) => decompressWindow(w, job, handles);
  let written = 0;
  try {
    let next = windows.length ? prepare(windows[0]!) : null;
    for (let k = 0; k < windows.length; k++) {
      const raws = await next!;
      next = k + 1 < windows.length ? prepare(windows[k + 1]!) : null;
      next?.catch(() => undefined);
      // Chunks that follow each other both on the disk and in one frame go out as one write.
      const writes: Array<Promise<void>> = [];
      const list = windows[k]!;
      for (let i = 0; i < list.length; ) {
        const { e, loc } = list[i]!;
        let j = i + 1;
        let len = e.length;
        while (j < list.length && list[j]!.loc.frame === loc.frame && list[j]!.e.offset === e.offset + len && list[j]!.loc.inner === loc.inner + len) len += list[j++]!.e.length;
        writes.push(writeFully(fh, raws.get(loc.frame)!.subarray(loc.inner, loc.inner + len), e.offset));
        written += len;
        i = j;
      }
      await Promise.all(writes);
    }
  } finally {
    await closePacks(handles);
  }
  return written;
}

async function decompressWindow(w: Array<{ e: ReturnType<typeof entryAt>; loc: ChunkLocation }>, job: RestoreJob, handles: PackHandles): Promise<Map<Frame, Buffer>> {
  const byFrame = new Map<Frame, ChunkLocation[]>();
  for (const { loc } of w) (byFrame.get(loc.frame) ?? byFrame.set(loc.frame, []).get(loc.frame)!).push(loc);
  const out = new Map<Frame, Buffer>();
  await Promise.all(
    [...byFrame].map(async ([frame, locs]) => {
      const compressed = await readFrame(job.store, frame, handles);
      const checks = Buffer.alloc(locs.length * 40);
      locs.forEach((l, i) => {
        checks.writeUInt32LE(l.inner, i * 40);
        checks.writeUInt32LE(l.length, i * 40 + 4);
        frame.chunks.find((c) => c.inner === l.inner)!.digest.copy(checks, i * 40 + 8);
      });
      const r = await job.pool.run({ type: 'decompress', compressed, rawLength: frame.rawLength, checks }, job.pool.size ? [compressed.buffer as ArrayBuffer] : []);
      if (r.type !== 'decompress') throw new Error('unexpected worker result');
      if (r.bad >= 0) throw new ImageIntegrityError(`pack ${frame.pack}: a chunk in the frame at ${frame.offset} does not match its digest; restore stopped`);
      out.set(frame, Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength));
    }),
  );
  return out;
}

/**
 * Zero the `[offset, length]` pairs. Large ranges go to the kernel's zero-range operation
 * (util-linux `fallocate --zero-range`: unwritten extents on a file, WRITE ZEROES or plain
 * zero writes on a block device), small ones and any the kernel refuses are written.
 * Returns the bytes zeroed.
 */
async function writeZeros(fh: FileHandle, path: string, ranges: number[]): Promise<number> {
  let zeroed = 0;
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < ranges.length; i += 2) (ranges[i + 1]! >= ZERO_RANGE_MIN ? large : small).push(ranges[i]!, ranges[i + 1]!);
  for (let i = 0; i < large.length; i += 2) {
    if (await zeroRange(path, large[i]!, large[i + 1]!)) zeroed += large[i + 1]!;
    else small.push(large[i]!, large[i + 1]!);
  }
  const jobs: Array<Promise<void>> = [];
  for (let i = 0; i < small.length; i += 2) {
    for (let o = small[i]!, end = o + small[i + 1]!; o < end; o += ZEROS.length) {
      const n = Math.min(ZEROS.length, end - o);
      jobs.push(writeFully(fh, ZEROS.subarray(0, n), o));
      zeroed += n;
      if (jobs.length >= 16) await Promise.all(jobs.splice(0));
    }
  }
  await Promise.all(jobs);
  return zeroed;
}

async function readFully(fh: FileHandle, buf: Buffer, at: number): Promise<void> {
  for (let o = 0; o < buf.length; ) {
    const { bytesRead } = await fh.read(buf, o, buf.length - o, at + o);
    if (bytesRead === 0) throw new TbxError(`the disk ends before offset ${at + o}`);
    o += bytesRead;
  }
}

async function writeFully(fh: FileHandle, buf: Buffer, at: number): Promise<void> {
  for (let o = 0; o < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, o, buf.length - o, at + o);
    o += bytesWritten;
  }
}
