/**
 * Content-defined chunking aligned to 4 KiB blocks. A cut may only fall after a block, and
 * whether it does depends only on that block's last 32 bytes, so identical data at any
 * 4 KiB-aligned offset is cut identically (dedup across boxes whose file systems placed the
 * same files elsewhere) and every chunk is a whole number of blocks (aligned writes).
 * Runs of at least {@link ZERO_RUN_MIN} all-zero bytes become zero extents, never stored.
 */

/** The unit of chunking and of all disk I/O. */
export const BLOCK = 4096;
/** Chunks are at least this long (unless a zero run or the end of a range cuts them). */
export const MIN_CHUNK = 2 * BLOCK;
/** Chunks are at most this long. */
export const MAX_CHUNK = 64 * BLOCK;
/** All-zero runs at least this long are recorded as zero extents. */
export const ZERO_RUN_MIN = 16 * BLOCK;
/** After MIN_CHUNK, a block ends a chunk with probability 1/14: about 64 KiB on average. */
const CUT_BELOW = Math.floor(0x100000000 / 14);
const SPAN = 16 * BLOCK;
const ZERO = Buffer.alloc(SPAN);

/**
 * Which 4 KiB blocks of `buf[from, to)` are all zero (1) or not (0). Checks 64 KiB spans
 * first: one comparison per span is far cheaper than sixteen (each call has a fixed cost),
 * and free space is mostly long zero runs.
 */
export function zeroBlockMap(buf: Buffer, from = 0, to = buf.length): Uint8Array {
  const map = new Uint8Array(Math.ceil((to - from) / BLOCK));
  for (let s = from; s < to; s += SPAN) {
    const end = Math.min(to, s + SPAN);
    if (buf.compare(ZERO, 0, end - s, s, end) === 0) {
      map.fill(1, (s - from) / BLOCK, Math.ceil((end - from) / BLOCK));
      continue;
    }
    for (let p = s; p < end; p += BLOCK) {
      const n = Math.min(BLOCK, end - p);
      if (buf.compare(ZERO, 0, n, p, p + n) === 0) map[(p - from) / BLOCK] = 1;
    }
  }
  return map;
}

/** What a chunker emits: a data chunk (a view into the fed buffer) or a zero run. */
export type Piece = { kind: 'data'; offset: number; data: Buffer } | { kind: 'zero'; offset: number; length: number };

/**
 * A streaming chunker over one contiguous range of the disk. Feed it block-aligned buffers
 * in order; `feed` returns how many bytes at the buffer's end are not consumed yet (an open
 * chunk), which the caller must pass again at the start of the next buffer.
 */
export class Chunker {
  private pos: number;
  /** Blocks of the open chunk already scanned (they are at the start of the next buffer). */
  private scanned = 0;
  private zeroRun = 0;
  private openZero: { offset: number; length: number } | null = null;

  constructor(
    start: number,
    private readonly emit: (p: Piece) => void,
  ) {
    this.pos = start;
  }

  /**
   * Scan `buf` (a multiple of 4 KiB whose first bytes are the carried-over open chunk).
   * Returns the number of trailing bytes to carry into the next call.
   */
  feed(buf: Buffer): number {
    if (buf.length % BLOCK !== 0) throw new RangeError('chunker input must be whole 4 KiB blocks');
    const aligned = buf.byteOffset % 4 === 0;
    const words = aligned ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2) : new Int32Array(0);
    let dataStart = this.scanned > 0 ? 0 : -1;
    const zeros = zeroBlockMap(buf, this.scanned * BLOCK);
    for (let p = this.scanned * BLOCK; p < buf.length; p += BLOCK) {
      const zero = zeros[p / BLOCK - this.scanned] === 1;
      if (zero && this.openZero) {
        this.openZero.length += BLOCK;
        continue;
      }
      this.zeroRun = zero ? this.zeroRun + 1 : 0;
      if (zero && this.zeroRun * BLOCK === ZERO_RUN_MIN) {
        const runStart = p + BLOCK - ZERO_RUN_MIN;
        if (dataStart >= 0 && dataStart < runStart) this.emitData(buf, dataStart, runStart);
        dataStart = -1;
        this.openZero = { offset: this.pos + runStart, length: ZERO_RUN_MIN };
        this.zeroRun = 0;
        continue;
      }
      if (!zero && this.openZero) this.flushZero();
      if (dataStart < 0) dataStart = p;
      const len = p + BLOCK - dataStart;
      if (len >= MAX_CHUNK || (!zero && len >= MIN_CHUNK && cutHash(buf, words, aligned, p + BLOCK) < CUT_BELOW)) {
        this.emitData(buf, dataStart, p + BLOCK);
        dataStart = -1;
        this.zeroRun = 0;
      }
    }
    const carry = dataStart >= 0 ? buf.length - dataStart : 0;
    this.scanned = carry / BLOCK;
    this.pos += buf.length - carry;
    return carry;
  }

  /** End of the range: emit the open chunk (`rest` is the carried-over bytes) and zero run. */
  finish(rest: Buffer): void {
    if (rest.length > 0) this.emitData(rest, 0, rest.length);
    if (this.openZero) this.flushZero();
    this.scanned = 0;
    this.zeroRun = 0;
  }

  private emitData(buf: Buffer, from: number, to: number): void {
    this.emit({ kind: 'data', offset: this.pos + from, data: buf.subarray(from, to) });
  }

  private flushZero(): void {
    this.emit({ kind: 'zero', ...this.openZero! });
    this.openZero = null;
  }
}

/** A 32-bit mix of the last 32 bytes before `end`. */
function cutHash(buf: Buffer, words: Int32Array, aligned: boolean, end: number): number {
  let h = 0x9e3779b9 | 0;
  for (let i = end - 32; i < end; i += 4) {
    const w = aligned ? words[i >> 2]! : buf.readInt32LE(i);
    h = Math.imul(h ^ w, 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
