/**
 * A compact multimap from chunk digests to small numbers (frame numbers), for stores of
 * millions of chunks: 16 bytes per entry in typed arrays, instead of a Map keyed by strings
 * (about 370 bytes per chunk). The key is the digest's first 96 bits, which is plenty: among
 * 2^25 chunks (a 2 TB disk) the chance that two distinct chunks share them is about 2^-47,
 * and a restore re-hashes every chunk with the full BLAKE3 anyway.
 *
 * Entries live in 1024 segments (by the key's top bits), each an open-addressing table with
 * linear probing that grows by half when 80 % full, so a growing table never needs twice its
 * size at once. A key may be inserted more than once (a chunk stored in two packs); `first`
 * and `next` visit every entry of a key. Each entry also carries 5 flag bits, and optionally
 * one more 32-bit word (`aux`). Handles change when the table grows: do not keep them
 * across inserts.
 */
const SEG_BITS = 10;
const SEGS = 1 << SEG_BITS;
const IDX_BITS = 21;
const IDX_MASK = (1 << IDX_BITS) - 1;
const VALUE_BITS = 27;
const VALUE_MASK = (1 << VALUE_BITS) - 1;
const MAX_LOAD = 0.8;

/** The largest value an entry holds. */
export const MAX_VALUE = VALUE_MASK - 2;
/** A value reserved for callers: "no frame yet" (a chunk a running backup has just added). */
export const PENDING = VALUE_MASK - 1;

function word(d: Uint8Array, o: number): number {
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}

/** See the file comment. */
export class DigestTable {
  private readonly segs: Uint32Array[] = [];
  private readonly used = new Uint32Array(SEGS);
  private aux: Uint32Array[] | undefined;
  /** Entries in the table. */
  size = 0;

  /** `expected`: entries to make room for at once (more may be inserted). */
  constructor(expected = 0) {
    const cap = Math.max(8, Math.ceil(expected / SEGS / 0.7));
    for (let s = 0; s < SEGS; s++) this.segs.push(new Uint32Array(cap * 4));
  }

  /** Give every entry an extra 32-bit word, zero at first (see {@link getAux}). */
  enableAux(): void {
    this.aux ??= this.segs.map((seg) => new Uint32Array(seg.length / 4));
  }

  /** Bytes of memory the table holds. */
  get bytes(): number {
    let n = 0;
    for (const seg of this.segs) n += seg.byteLength;
    for (const a of this.aux ?? []) n += a.byteLength;
    return n;
  }

  /** Add an entry for the digest at `d[off..off+32)` (another entry of the same key is kept). */
  insert(d: Uint8Array, off: number, value: number): void {
    if (value < 0 || value > PENDING) throw new RangeError(`value ${value} does not fit a digest table entry`);
    const k0 = word(d, off);
    const s = k0 >>> (32 - SEG_BITS);
    if (this.used[s]! + 1 > (this.segs[s]!.length / 4) * MAX_LOAD) this.grow(s);
    this.place(s, k0, word(d, off + 4), word(d, off + 8), (value + 1) >>> 0, 0);
    this.used[s]!++;
    this.size++;
  }

  /** The first entry of the digest at `d[off..)`, as a handle, or -1. */
  first(d: Uint8Array, off = 0): number {
    const k0 = word(d, off);
    const k1 = word(d, off + 4);
    const k2 = word(d, off + 8);
    const s = k0 >>> (32 - SEG_BITS);
    const seg = this.segs[s]!;
    const cap = seg.length / 4;
    for (let i = slotOf(k1, cap); ; i = i + 1 === cap ? 0 : i + 1) {
      const v = seg[i * 4 + 3]! & VALUE_MASK;
      if (v === 0) return -1;
      if (seg[i * 4] === k0 && seg[i * 4 + 1] === k1 && seg[i * 4 + 2] === k2) return (s << IDX_BITS) | i;
    }
  }

  /** The next entry with the same key as `h`, or -1. */
  next(h: number): number {
    const s = h >>> IDX_BITS;
    const seg = this.segs[s]!;
    const cap = seg.length / 4;
    const at = (h & IDX_MASK) * 4;
    const [k0, k1, k2] = [seg[at]!, seg[at + 1]!, seg[at + 2]!];
    for (let i = (h & IDX_MASK) + 1 === cap ? 0 : (h & IDX_MASK) + 1; ; i = i + 1 === cap ? 0 : i + 1) {
      const v = seg[i * 4 + 3]! & VALUE_MASK;
      if (v === 0) return -1;
      if (seg[i * 4] === k0 && seg[i * 4 + 1] === k1 && seg[i * 4 + 2] === k2) return (s << IDX_BITS) | i;
    }
  }

  /** The value of entry `h`. */
  value(h: number): number {
    return (this.segs[h >>> IDX_BITS]![(h & IDX_MASK) * 4 + 3]! & VALUE_MASK) - 1;
  }

  /** Whether flag `bit` (0..4) of entry `h` is set. */
  flag(h: number, bit: number): boolean {
    return ((this.segs[h >>> IDX_BITS]![(h & IDX_MASK) * 4 + 3]! >>> (VALUE_BITS + bit)) & 1) === 1;
  }

  /** Set flag `bit` of entry `h`. */
  setFlag(h: number, bit: number): void {
    const seg = this.segs[h >>> IDX_BITS]!;
    const at = (h & IDX_MASK) * 4 + 3;
    seg[at] = (seg[at]! | (1 << (VALUE_BITS + bit))) >>> 0;
  }

  /** Clear flag `bit` of entry `h`. */
  clearFlag(h: number, bit: number): void {
    const seg = this.segs[h >>> IDX_BITS]!;
    const at = (h & IDX_MASK) * 4 + 3;
    seg[at] = (seg[at]! & ~(1 << (VALUE_BITS + bit))) >>> 0;
  }

  /** Set flag `bit` on every entry of the digest at `d[off..)`; returns whether the key has any entry. */
  flagAll(d: Uint8Array, off: number, bit: number): boolean {
    let h = this.first(d, off);
    if (h < 0) return false;
    for (; h >= 0; h = this.next(h)) this.setFlag(h, bit);
    return true;
  }

  /** The extra word of entry `h` (after {@link enableAux}). */
  getAux(h: number): number {
    return this.aux![h >>> IDX_BITS]![h & IDX_MASK]!;
  }

  /** Set the extra word of entry `h`. */
  setAux(h: number, v: number): void {
    this.aux![h >>> IDX_BITS]![h & IDX_MASK] = v >>> 0;
  }

  /** Call `fn` with every entry's handle. */
  forEach(fn: (h: number) => void): void {
    for (let s = 0; s < SEGS; s++) {
      const seg = this.segs[s]!;
      for (let i = 0; i < seg.length / 4; i++) if ((seg[i * 4 + 3]! & VALUE_MASK) !== 0) fn((s << IDX_BITS) | i);
    }
  }

  private place(s: number, k0: number, k1: number, k2: number, tag: number, aux: number): void {
    const seg = this.segs[s]!;
    const cap = seg.length / 4;
    let i = slotOf(k1, cap);
    while ((seg[i * 4 + 3]! & VALUE_MASK) !== 0) i = i + 1 === cap ? 0 : i + 1;
    seg[i * 4] = k0;
    seg[i * 4 + 1] = k1;
    seg[i * 4 + 2] = k2;
    seg[i * 4 + 3] = tag;
    if (this.aux) this.aux[s]![i] = aux;
  }

  /** Rehash segment `s` into one half as large again. Entries of one key keep their order. */
  private grow(s: number): void {
    const old = this.segs[s]!;
    const oldAux = this.aux?.[s];
    const cap = Math.ceil((old.length / 4) * 1.5);
    if (cap > IDX_MASK + 1) throw new RangeError('digest table full (more than 2^31 entries)');
    this.segs[s] = new Uint32Array(cap * 4);
    if (this.aux) this.aux[s] = new Uint32Array(cap);
    // Re-placing in the old probe order from a run's start keeps each key's entries in order.
    const n = old.length / 4;
    let start = 0;
    while (start < n && (old[start * 4 + 3]! & VALUE_MASK) !== 0) start++;
    for (let k = 1; k <= n; k++) {
      const i = (start + k) % n;
      if ((old[i * 4 + 3]! & VALUE_MASK) === 0) continue;
      this.place(s, old[i * 4]!, old[i * 4 + 1]!, old[i * 4 + 2]!, old[i * 4 + 3]!, oldAux?.[i] ?? 0);
    }
  }
}

/** Where a key's probe starts in a segment of `cap` slots (k1 spread over the range). */
function slotOf(k1: number, cap: number): number {
  return Math.min(cap - 1, Math.floor((k1 / 0x1_0000_0000) * cap));
}
