import { open, readdir, mkdir } from 'node:fs/promises';
import type { Logger } from '../../lib/logger.js';
import type { DiskTarget } from '../store.js';
import { BLOCK, Chunker, MAX_CHUNK, MIN_CHUNK, ZERO_RUN_MIN, type Piece } from './chunker.js';
import { FrameBuilder } from './frame-builder.js';
import { describeZstd, type ZstdParams } from './compression.js';
import { IndexWriter, KIND, type GenerationHeader } from './index-file.js';
import { deviceDir, generationName, INDEX_SUFFIX, type StorePaths } from './layout.js';
import { blake3 } from './native.js';
import { ChunkIndex, PENDING } from './chunk-index.js';
import { listPacks, PackWriter } from './pack-file.js';
import { TbxError } from '../../lib/errors.js';
import { diskUsage } from './usage.js';
import type { WorkerPool } from './worker-pool.js';
import { join } from 'node:path';

/** Bytes read from the disk per request (aligned). */
export const READ_SIZE = 8 * 1024 * 1024;

/** Something to read a disk image from at increasing offsets (a file handle, or a stream adapter). */
export interface DiskReader {
  read(buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** What one backup needs. */
export interface BackupJob {
  disk: DiskTarget;
  /**
   * Read from this instead of opening `disk.path` (import of a seed image): read whole, and
   * `disk.size` may be larger than the content (the image ends where the reader does).
   */
  reader?: DiskReader;
  /** Recorded in the header (import). */
  importedFrom?: string;
  /** Last check before the generation is committed (import: the content matched what was recorded); throwing commits nothing. */
  beforeCommit?: () => Promise<void>;
  boxDir: string;
  store: StorePaths;
  pool: WorkerPool;
  zstd: ZstdParams;
  skipFree: boolean;
  box: { ip?: string; name?: string; request?: string };
  toolVersion: string;
  log: Logger;
  progress?: (done: number, total: number) => void;
  now?: () => Date;
}

/** What a backup produced. */
export interface BackupOutcome {
  generation: number;
  ref: string;
  header: GenerationHeader;
  /** Compressed bytes of the chunks this backup added to the store. */
  newStoredBytes: number;
}

/**
 * Back up one disk as the next generation of `boxDir/images/<dev>/`: read the used ranges in
 * large aligned blocks, cut them into chunks, hash each with BLAKE3, and compress only chunks
 * the store does not hold yet (in frames, in the worker pool). Packs are sealed before the
 * index is written, and the index becomes visible last, so a crash at any point leaves the
 * previous generations as they were. The caller holds a shared store lock.
 */
export async function backupDisk(job: BackupJob): Promise<BackupOutcome> {
  const started = Date.now();
  const dir = deviceDir(job.boxDir, job.disk.device);
  await mkdir(dir, { recursive: true });
  const generation = (await latestGeneration(dir)) + 1;
  const finalPath = join(dir, generationName(generation));
  // The store's chunks, and this backup's new ones as they come (PENDING: no frame yet).
  const known = await ChunkIndex.load(job.store);
  /** Every pack this generation's chunks are in: it is only committed if they all still exist. */
  const reliedOn = new Uint8Array(known.packs.length);
  const ownPacks: string[] = [];
  const packs = new PackWriter(job.store, (sealed) => {
    if (sealed[0]) ownPacks.push(sealed[0].pack);
  });
  const frames = new FrameBuilder(job.pool, packs, job.zstd);
  const fh = job.reader ? undefined : await open(job.disk.path, 'r');
  const reader: DiskReader = job.reader ?? fh!;
  const index = await IndexWriter.create(finalPath);
  const stats = { dataBytes: 0, zeroBytes: 0, unusedBytes: 0, chunks: 0, newChunks: 0, newStoredBytes: 0, seconds: 0 };
  try {
    const usage = fh ? await diskUsage(fh, job.disk.size, job.skipFree) : { mode: 'whole-disk' as const, layout: ['imported image, read whole'], used: [[0, job.disk.size]] as Array<[number, number]>, freeBytes: 0 };
    job.log.debug({ mode: usage.mode, layout: usage.layout }, 'disk layout');
    const onPiece = async (p: Piece) => {
      if (p.kind === 'zero') {
        stats.zeroBytes += p.length;
        return index.add(p.offset, p.length, KIND.zero);
      }
      const digest = blake3(p.data);
      stats.dataBytes += p.data.length;
      stats.chunks++;
      const h = known.table.first(digest);
      if (h < 0) {
        known.table.insert(digest, 0, PENDING);
        stats.newChunks++;
        await frames.add(p.data, digest);
      } else if (known.table.value(h) !== PENDING) reliedOn[known.packOf(known.table.value(h))] = 1;
      await index.add(p.offset, p.data.length, KIND.data, digest);
    };
    let pos = 0;
    let done = 0;
    const bufs = readBuffers();
    for (const [start, length] of usage.used) {
      if (start > pos) {
        await index.add(pos, start - pos, KIND.unused);
        stats.unusedBytes += start - pos;
      }
      pos = start + (await chunkRange(reader, start, length, bufs, onPiece, (n) => job.progress?.((done += n), job.disk.size)));
      if (pos >= start + length) continue;
      // An imported stream may end early; a disk that does must never be recorded as if the
      // rest were unused (it would restore as zeros and the backup would claim success).
      if (!job.reader) throw new TbxError(`short read from ${job.disk.path} at byte ${pos} of ${job.disk.size}: the disk ended early or could not be read there; nothing was committed, the previous generations are intact`);
      break;
    }
    const size = job.reader ? pos : job.disk.size;
    if (pos < size) {
      await index.add(pos, size - pos, KIND.unused);
      stats.unusedBytes += size - pos;
    }
    await frames.finish();
    await packs.finish();
    await confirmPacks(job.store, [...known.packs.filter((_, i) => reliedOn[i] === 1), ...ownPacks]);
    await job.beforeCommit?.();
    stats.newStoredBytes = packs.storedBytes;
    stats.seconds = (Date.now() - started) / 1000;
    const header: Omit<GenerationHeader, 'digest'> = {
      format: 'tbx-chunked/1',
      device: job.disk.device,
      generation,
      createdAt: (job.now?.() ?? new Date()).toISOString(),
      box: job.box,
      disk: { size, ...(job.disk.model ? { model: job.disk.model } : {}), ...(job.disk.serial ? { serial: job.disk.serial } : {}) },
      tool: { name: 'tbx', version: job.toolVersion },
      chunking: { block: BLOCK, minChunk: MIN_CHUNK, maxChunk: MAX_CHUNK, zeroRunMin: ZERO_RUN_MIN, digest: 'blake3', compression: describeZstd(job.zstd) },
      mode: usage.mode,
      layout: usage.layout,
      stats,
      ...(job.importedFrom ? { importedFrom: job.importedFrom } : {}),
    };
    const digest = await index.commit(finalPath, header);
    return { generation, ref: `images/${job.disk.device}/${generationName(generation)}`, header: { ...header, digest }, newStoredBytes: stats.newStoredBytes };
  } catch (err) {
    await index.abort();
    await frames.finish().catch(() => undefined);
    await packs.abort();
    throw err;
  } finally {
    await fh?.close();
  }
}

/** A backup's read buffers, reused by every used range (see {@link chunkRange}). */
interface ReadBuffers {
  /** Two, for one read ahead; each keeps room in front for the open chunk carried over. */
  reads: [Buffer, Buffer];
  /** Where the open chunk is copied to while the buffer it was in is read into again. */
  carry: Buffer;
}

/**
 * Allocated once per backup: a disk whose used blocks come in many ranges (an NTFS volume has
 * hundreds) would otherwise allocate 16 MiB per range, and every fresh page costs a page
 * fault when it is first read into (about 13 µs each on a virtual machine like the CI host's).
 */
function readBuffers(): ReadBuffers {
  return { reads: [Buffer.allocUnsafeSlow(MAX_CHUNK + READ_SIZE), Buffer.allocUnsafeSlow(MAX_CHUNK + READ_SIZE)], carry: Buffer.allocUnsafeSlow(MAX_CHUNK) };
}

/**
 * Read `[start, start+length)` in aligned blocks (one read ahead) and chunk it. Returns the
 * bytes read: `length`, or less when the reader ended early.
 */
async function chunkRange(fh: DiskReader, start: number, length: number, { reads: bufs, carry: carryBuf }: ReadBuffers, onPiece: (p: Piece) => Promise<void>, progress: (n: number) => void): Promise<number> {
  const pieces: Piece[] = [];
  const chunker = new Chunker(start, (p) => pieces.push(p));
  const end = start + length;
  const readInto = (b: Buffer, at: number) => (at >= end ? null : fh.read(b, MAX_CHUNK, Math.min(READ_SIZE, end - at), at).then((r) => r.bytesRead));
  let at = start;
  let next = readInto(bufs[0]!, at);
  let carry: Buffer = Buffer.alloc(0);
  for (let i = 0; next; i++) {
    const buf = bufs[i % 2]!;
    const n = await next;
    const want = Math.min(READ_SIZE, end - at);
    const whole = n - (n % BLOCK);
    const tailAt = at + whole;
    at += n;
    // A short read ends the range: the caller decides whether that is the end of an imported stream or a failing disk.
    next = n === want ? readInto(bufs[(i + 1) % 2]!, at) : null;
    carry.copy(buf, MAX_CHUNK - carry.length);
    const view = buf.subarray(MAX_CHUNK - carry.length, MAX_CHUNK + whole);
    const keep = chunker.feed(view);
    for (const p of pieces.splice(0)) await onPiece(p);
    // The carried bytes are copied out before this buffer is read into again (the open chunk
    // is never longer than MAX_CHUNK, so it fits carryBuf).
    carry = carryBuf.subarray(0, view.copy(carryBuf, 0, view.length - keep));
    if (whole !== n) {
      // A disk whose size is not a multiple of 4 KiB: its last partial block is a chunk of its own.
      chunker.finish(carry);
      carry = Buffer.alloc(0);
      pieces.push({ kind: 'data', offset: tailAt, data: Buffer.from(buf.subarray(MAX_CHUNK + whole, MAX_CHUNK + n)) });
    }
    for (const p of pieces.splice(0)) await onPiece(p);
    progress(n);
  }
  chunker.finish(carry);
  for (const p of pieces.splice(0)) await onPiece(p);
  return at - start;
}

/**
 * Just before a generation is committed: every pack it relies on must still be there. Only
 * the store lock keeps gc away during a backup, and a lock can look stale to a gc whose clock
 * is ahead or whose NFS client caches the lock directory; a generation that references a
 * deleted pack would be unrestorable, so the backup fails instead (nothing committed).
 */
async function confirmPacks(store: StorePaths, relied: string[]): Promise<void> {
  const { complete } = await listPacks(store);
  const gone = relied.filter((id) => !complete.has(id));
  if (gone.length) {
    throw new TbxError(`the chunk store changed during this backup: ${gone.length} pack(s) it relies on were deleted (${gone.slice(0, 3).join(', ')}${gone.length > 3 ? ', ...' : ''}), probably by a tbx image gc that did not see this backup's lock; nothing was committed, the previous generations are intact; run the backup again`);
  }
}

/** The highest generation number in a device directory (0 when none). */
export async function latestGeneration(dir: string): Promise<number> {
  let max = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = new RegExp(`^(\\d{8})${INDEX_SUFFIX.replace('.', '\\.')}$`).exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}
