import type { FileHandle } from 'node:fs/promises';
import type { GenerationFile } from './generation-file.js';
import { ENTRY, entryAt, KIND } from './index-file.js';
import { blake3 } from './native.js';
import type { WorkerPool } from './worker-pool.js';

/** Disk bytes compared per scan job. */
const SCAN_SIZE = 8 * 1024 * 1024;
/** Chunks sampled to decide whether to scan. */
const SAMPLES = 64;

/**
 * `[offset, length]` pairs in disk order, touching ones merged, in a growable Float64Array:
 * 16 bytes per run instead of two boxed numbers in an array.
 */
export class RangeList {
  private pairs = new Float64Array(256);
  /** Runs held. */
  length = 0;

  /** Append a run at or after the end of the last one. */
  push(offset: number, length: number): void {
    if (this.length && this.pairs[this.length * 2 - 2]! + this.pairs[this.length * 2 - 1]! === offset) {
      this.pairs[this.length * 2 - 1]! += length;
      return;
    }
    if (this.length * 2 === this.pairs.length) {
      const wider = new Float64Array(this.pairs.length * 2);
      wider.set(this.pairs);
      this.pairs = wider;
    }
    this.pairs[this.length * 2] = offset;
    this.pairs[this.length * 2 + 1] = length;
    this.length++;
  }

  /**
   * A test for whether `[offset, offset+length)` lies inside one run, for callers that ask
   * in increasing offset order (it only moves forward).
   */
  coverage(): (offset: number, length: number) => boolean {
    let i = 0;
    return (offset, length) => {
      while (i < this.length && this.pairs[i * 2]! + this.pairs[i * 2 + 1]! <= offset) i++;
      return i < this.length && this.pairs[i * 2]! <= offset && offset + length <= this.pairs[i * 2]! + this.pairs[i * 2 + 1]!;
    };
  }

  /** Every run, in order. */
  *[Symbol.iterator](): Generator<[number, number]> {
    for (let i = 0; i < this.length; i++) yield [this.pairs[i * 2]!, this.pairs[i * 2 + 1]!];
  }
}

/**
 * What a restore writes. `data`: bit i set when data entry i differs from the disk, or null
 * for every data entry. `zeros`: the non-zero runs inside zero and free extents, or null for
 * every zero and free extent. 1 bit per entry plus 16 bytes per run, whatever the disk size.
 */
export interface Diff {
  data: Uint8Array | null;
  zeros: RangeList | null;
  /** Data entries to write. */
  chunks: number;
}

/** Whether entry `i` (a data entry) is to be written. */
export function writesData(diff: Diff, i: number): boolean {
  return diff.data === null || (diff.data[i >>> 3]! & (1 << (i & 7))) !== 0;
}

/**
 * The share of up to SAMPLES data chunks, spread over the index, that the disk already
 * holds: each is the first data entry at or after an even step through the entries.
 */
export async function sampleSimilarity(fh: FileHandle, gen: GenerationFile): Promise<number> {
  const picks: Array<{ offset: number; length: number; digest: Buffer }> = [];
  for await (const { first, entries } of gen.windows()) {
    for (let j = 0; j < entries.length / ENTRY && picks.length < SAMPLES; j++) {
      if (first + j < Math.floor((picks.length * gen.count) / SAMPLES) || entries.readUInt32LE(j * ENTRY + 12) !== KIND.data) continue;
      const e = entryAt(entries, j);
      picks.push({ offset: e.offset, length: e.length, digest: Buffer.from(e.digest) });
    }
    if (picks.length >= SAMPLES) break;
  }
  if (picks.length === 0) return 1;
  let same = 0;
  for (const p of picks) {
    const buf = Buffer.allocUnsafe(p.length);
    const { bytesRead } = await fh.read(buf, 0, p.length, p.offset);
    if (bytesRead === p.length && blake3(buf).equals(p.digest)) same++;
  }
  return same / picks.length;
}

/** Data entries of a generation, for a restore that writes everything. */
export async function countData(gen: GenerationFile): Promise<number> {
  let n = 0;
  for await (const { entries } of gen.windows()) for (let o = 12; o < entries.length; o += ENTRY) if (entries.readUInt32LE(o) === KIND.data) n++;
  return n;
}

/** What {@link scanDisk} compares and keeps. */
export interface ScanOptions {
  /** Keep the differences as a {@link Diff} (the scan before writing); the read-back only counts them. */
  record: boolean;
  /** Runs of a regular file now holes or unwritten extents: zero and free extents inside one are not read. */
  holes?: RangeList;
  /**
   * Compare only what this diff wrote: its data entries, and its non-zero runs instead of
   * every zero and free extent (a null part of the diff means all of that kind).
   */
  only?: Diff;
  progress?: (done: number, total: number) => void;
}

/**
 * Compare the disk with the index: worker threads read and compare 8 MiB at a time (BLAKE3
 * per data extent, zero check per 4 KiB block of zero and free extents). See {@link ScanOptions}
 * for what is left out.
 */
export async function scanDisk(fh: FileHandle, gen: GenerationFile, pool: WorkerPool, o: ScanOptions): Promise<{ diff: Diff; zeroRuns: number }> {
  const diff: Diff = { data: o.record ? new Uint8Array(Math.ceil(gen.count / 8)) : new Uint8Array(0), zeros: o.record ? new RangeList() : null, chunks: 0 };
  let zeroRuns = 0;
  // Zero runs are appended in disk order: results of later batches wait for earlier ones.
  const pending = new Map<number, number[]>();
  let nextSeq = 0;
  let seq = 0;
  const flush = () => {
    for (let r = pending.get(nextSeq); r; r = pending.get(nextSeq)) {
      pending.delete(nextSeq++);
      for (let i = 0; i < r.length; i += 2) if (diff.zeros) diff.zeros.push(r[i]!, r[i + 1]!);
    }
  };
  const inFlight: Array<Promise<void>> = [];
  let done = 0;
  for await (const { start, end, table, base } of scanJobs(gen, o)) {
    const mine = seq++;
    const task = pool.run({ type: 'scan', fd: fh.fd, start, end, entries: table }, pool.size ? [table.buffer as ArrayBuffer] : []).then((r) => {
      if (r.type !== 'scan') throw new Error('unexpected worker result');
      for (const i of r.dataIndexes) {
        diff.chunks++;
        if (o.record) diff.data![(base + i) >>> 3]! |= 1 << ((base + i) & 7);
      }
      zeroRuns += r.zeroRanges.length / 2;
      pending.set(mine, r.zeroRanges);
      flush();
      o.progress?.((done += end - start), gen.header.disk.size);
    });
    task.catch(() => undefined);
    inFlight.push(task);
    if (inFlight.length >= Math.max(2, pool.size * 3)) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return { diff, zeroRuns };
}

type ScanJob = { start: number; end: number; table: Buffer; base: number };

/**
 * The scan's jobs in disk order: batches of the index's entries, less those the options leave
 * out; then, when only a diff's non-zero runs are compared, those runs as zero extents.
 */
async function* scanJobs(gen: GenerationFile, o: ScanOptions): AsyncGenerator<ScanJob> {
  const inHole = o.holes?.coverage() ?? (() => false);
  const { only } = o;
  const runsOnly = only !== undefined && only.zeros !== null;
  const skip = (e: { offset: number; length: number; kind: number }, i: number) =>
    e.kind === KIND.data ? only !== undefined && !writesData(only, i) : runsOnly || inHole(e.offset, e.length);
  for await (const { first, entries } of gen.windows()) yield* scanBatches(entries, first, skip);
  if (!runsOnly) return;
  // The pass above asked `inHole` nothing (it skips every zero extent), so it starts at the first hole.
  for (const [offset, length] of only.zeros!) if (!inHole(offset, length)) yield* zeroPieces(offset, length);
}

/** A zero extent as jobs of at most SCAN_SIZE bytes, so no read buffer is ever larger. */
function* zeroPieces(offset: number, length: number): Generator<ScanJob> {
  for (let o = offset; o < offset + length; o += SCAN_SIZE) {
    const n = Math.min(SCAN_SIZE, offset + length - o);
    const table = Buffer.alloc(ENTRY);
    table.writeUInt32LE(o % 0x100000000, 0);
    table.writeUInt32LE(Math.floor(o / 0x100000000), 4);
    table.writeUInt32LE(n, 8);
    table.writeUInt32LE(KIND.zero, 12);
    yield { start: o, end: o + n, table, base: -1 };
  }
}

/**
 * Runs of consecutive entries of one window covering at most SCAN_SIZE bytes; a longer zero
 * or free extent is split into pieces of its own ({@link zeroPieces}). `base` is the index of
 * the batch's first entry in the generation. Entries for which `skip` holds (given the entry
 * and its index in the generation) are left out, and a batch never spans one.
 */
function* scanBatches(entries: Buffer, firstIndex: number, skip: (e: { offset: number; length: number; kind: number }, i: number) => boolean): Generator<ScanJob> {
  const count = entries.length / ENTRY;
  for (let first = 0; first < count; ) {
    const head = entryAt(entries, first);
    if (skip(head, firstIndex + first)) {
      first++;
      continue;
    }
    if (head.length > SCAN_SIZE) {
      yield* zeroPieces(head.offset, head.length);
      first++;
      continue;
    }
    let last = first;
    let end = head.offset + head.length;
    while (last + 1 < count) {
      const e = entryAt(entries, last + 1);
      if (e.offset + e.length - head.offset > SCAN_SIZE || skip(e, firstIndex + last + 1)) break;
      last++;
      end = e.offset + e.length;
    }
    // A copy in its own memory (never Node's shared pool): it is transferred to a worker.
    const table = Buffer.allocUnsafeSlow((last + 1 - first) * ENTRY);
    entries.copy(table, 0, first * ENTRY, (last + 1) * ENTRY);
    yield { start: head.offset, end, table, base: firstIndex + first };
    first = last + 1;
  }
}
