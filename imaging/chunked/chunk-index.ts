import { open, readFile, stat } from 'node:fs/promises';
import { describeError } from '../../lib/errors.js';
import { ImageIntegrityError } from '../store.js';
import { DigestTable, MAX_VALUE, PENDING } from './digest-table.js';
import { packPaths, type StorePaths } from './layout.js';
import { blake3 } from './native.js';
import { decodePackIndex, listPacks, PACK_HEAD, PACK_INDEX_MAGIC, type Frame, type FrameChunk } from './pack-file.js';

export { PENDING };

/** Growable typed columns, one entry per frame. */
class FrameColumns {
  pack = new Uint32Array(1024);
  offset = new Uint32Array(1024);
  stored = new Uint32Array(1024);
  raw = new Uint32Array(1024);
  /** Index of the frame within its pack. */
  nth = new Uint32Array(1024);
  checked = new Uint8Array(1024);
  digest = new Uint8Array(1024 * 32);
  count = 0;

  add(pack: number, nth: number, offset: number, stored: number, raw: number, checked: boolean, digest: Uint8Array): number {
    if (this.count === this.pack.length) this.grow();
    const i = this.count++;
    this.pack[i] = pack;
    this.nth[i] = nth;
    this.offset[i] = offset;
    this.stored[i] = stored;
    this.raw[i] = raw;
    this.checked[i] = checked ? 1 : 0;
    this.digest.set(digest, i * 32);
    return i;
  }

  private grow(): void {
    const n = this.pack.length * 2;
    const wider = <T extends Uint32Array | Uint8Array>(a: T, k = 1): T => {
      const b = new (a.constructor as new (n: number) => T)(n * k);
      b.set(a);
      return b;
    };
    [this.pack, this.offset, this.stored, this.raw, this.nth] = [wider(this.pack), wider(this.offset), wider(this.stored), wider(this.raw), wider(this.nth)];
    this.checked = wider(this.checked);
    this.digest = wider(this.digest, 32);
  }
}

/**
 * Every chunk of the chunk store, by digest, in compact form: a {@link DigestTable} from
 * digest to frame number (16 bytes per stored chunk), and per frame its pack, place, sizes,
 * checksum and whether it was checked at backup (about 50 bytes per frame, one frame per
 * 8 MiB of raw data). Where a chunk lies inside its frame is not held: {@link chunksOf}
 * reads it from the pack's index when a frame is about to be read. Every copy of a chunk is
 * kept, in pack order.
 */
export class ChunkIndex {
  readonly packs: string[] = [];
  private readonly frames = new FrameColumns();
  private readonly cache = new Map<number, Frame[]>();

  private constructor(
    readonly store: StorePaths,
    readonly table: DigestTable,
  ) {}

  /**
   * Load every indexed pack's index. A damaged pack index is an error unless `onError` takes
   * it (verify reports it and goes on without that pack).
   */
  static async load(store: StorePaths, o: { onError?: (err: unknown) => void } = {}): Promise<ChunkIndex> {
    const { indexed } = await listPacks(store);
    // Sized from the index files' sizes (40 bytes per chunk) so the table never grows while
    // loading, and every file is read into one reused buffer: growing tables and thousands of
    // freed read buffers leave the heap fragmented, which showed as a third more RSS.
    let chunks = 0;
    for (let i = 0; i < indexed.length; i += 64) {
      const sizes = await Promise.all(indexed.slice(i, i + 64).map((id) => stat(packPaths(store, id).index).then((st) => st.size, () => 0)));
      for (const size of sizes) chunks += Math.max(0, Math.floor((size - 44) / 40));
    }
    const index = new ChunkIndex(store, new DigestTable(chunks));
    let buf = Buffer.alloc(0);
    for (const id of indexed) {
      try {
        const fh = await open(packPaths(store, id).index, 'r');
        try {
          const { size } = await fh.stat();
          if (buf.length < size) buf = Buffer.allocUnsafe(Math.max(size, buf.length * 2));
          const { bytesRead } = await fh.read(buf, 0, size, 0);
          index.addPack(id, buf.subarray(0, bytesRead));
        } finally {
          await fh.close();
        }
      } catch (err) {
        if (!o.onError) throw err;
        o.onError(err);
      }
    }
    return index;
  }

  /** Frames in the index. */
  get frameCount(): number {
    return this.frames.count;
  }

  /** Bytes of memory the index's tables hold. */
  get bytes(): number {
    return this.table.bytes + this.frames.pack.length * 53;
  }

  /** Add one pack from its index file's bytes (checked, without making an object per chunk). */
  addPack(id: string, buf: Buffer): void {
    const bad = (why: string) => new ImageIntegrityError(`pack index ${id}.pidx is damaged: ${why}`);
    if (buf.length < PACK_INDEX_MAGIC.length + 36 || !buf.subarray(0, 8).equals(PACK_INDEX_MAGIC)) throw bad('not a tbx pack index');
    if (!blake3(buf.subarray(0, buf.length - 32)).equals(buf.subarray(buf.length - 32))) throw bad('checksum mismatch');
    const n = buf.readUInt32LE(8);
    // First pass: the lengths must add up before anything is added.
    let o = 12;
    for (let i = 0; i < n && o + 48 <= buf.length - 32; i++) o += 48 + buf.readUInt32LE(o + 44) * 40;
    if (o !== buf.length - 32) throw bad('inconsistent lengths');
    const pack = this.packs.push(id) - 1;
    const checked = n > 0 && buf.readUInt32LE(12) === PACK_HEAD.length;
    o = 12;
    for (let i = 0; i < n; i++) {
      const f = this.frames.add(pack, i, buf.readUInt32LE(o), buf.readUInt32LE(o + 4), buf.readUInt32LE(o + 8), checked, buf.subarray(o + 12, o + 44));
      if (f > MAX_VALUE) throw new RangeError('too many frames in the chunk store for its index');
      const chunks = buf.readUInt32LE(o + 44);
      o += 48;
      for (let c = 0; c < chunks; c++, o += 40) this.table.insert(buf, o, f);
    }
  }

  /** Frame `f` as its pack index describes it (without its chunk list). */
  frame(f: number): Omit<Frame, 'chunks'> {
    const fr = this.frames;
    return { pack: this.packs[fr.pack[f]!]!, offset: fr.offset[f]!, storedLength: fr.stored[f]!, rawLength: fr.raw[f]!, digest: Buffer.from(fr.digest.subarray(f * 32, f * 32 + 32)), checked: fr.checked[f] === 1 };
  }

  /** The pack number of frame `f` (an index into {@link packs}). */
  packOf(f: number): number {
    return this.frames.pack[f]!;
  }

  /** A chunk's share of its frame's compressed bytes (for space accounting). */
  storedShare(f: number, length: number): number {
    const fr = this.frames;
    return f < 0 || f >= fr.count ? 0 : Math.round((fr.stored[f]! * length) / Math.max(1, fr.raw[f]!));
  }

  /** The chunks of frame `f` with their places in it, from its pack's index (the last few packs are cached). */
  async chunksOf(f: number): Promise<FrameChunk[]> {
    const pack = this.frames.pack[f]!;
    let frames = this.cache.get(pack);
    if (!frames) {
      const id = this.packs[pack]!;
      try {
        frames = decodePackIndex(id, await readFile(packPaths(this.store, id).index));
      } catch (err) {
        throw new ImageIntegrityError(`pack index ${id}.pidx can no longer be read: ${describeError(err)}`, { cause: err });
      }
      if (this.cache.size >= 8) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(pack, frames);
    }
    return frames[this.frames.nth[f]!]!.chunks;
  }
}
