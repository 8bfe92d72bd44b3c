import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../../lib/atomic-write.js';
import { ImageIntegrityError } from '../store.js';
import { packPaths, type StorePaths } from './layout.js';
import { blake3 } from './native.js';
import { shareWriteError } from '../share-write-error.js';

/**
 * Packs hold the chunk store's data: `<id>.pack` is a run of zstd frames, each compressing
 * several chunks together (8 MiB of raw data compresses better than one 64 KiB chunk alone), and
 * `<id>.pidx` lists every frame (offset, sizes, BLAKE3 of the compressed bytes) and the chunks
 * in it. A pack counts only once its `.pidx` exists, which is written after the pack is
 * fsynced and renamed; a crash leaves at most an unindexed pack that gc removes.
 */
/** The first bytes of a pack index. */
export const PACK_INDEX_MAGIC = Buffer.from('TBXP0001');
const MAGIC = PACK_INDEX_MAGIC;
/** A pack is sealed once it reaches this many bytes. */
export const PACK_TARGET = 32 * 1024 * 1024;
/**
 * What a pack starts with since frames are checked before they are stored: a zstd skippable
 * frame (magic 0x184D2A5E, 16 bytes of payload), which zstd and older tbx versions skip. A
 * pack whose first frame follows it holds only frames that were decompressed and matched
 * against every chunk's digest before they were written, so their checksums vouch for their
 * chunks. Packs of older versions start with a frame at offset 0.
 */
export const PACK_HEAD = Buffer.concat([Buffer.from([0x5e, 0x2a, 0x4d, 0x18, 16, 0, 0, 0]), Buffer.from('tbx-pack/checked')]);

/** One chunk inside a frame. */
export interface FrameChunk {
  digest: Buffer;
  inner: number;
  length: number;
}

/** One zstd frame of a pack. */
export interface Frame {
  pack: string;
  offset: number;
  storedLength: number;
  rawLength: number;
  digest: Buffer;
  chunks: FrameChunk[];
  /** Its chunks were checked against their digests before it was stored (see {@link PACK_HEAD}). */
  checked: boolean;
}

/** A digest as a string key (latin1: one character per byte), for small per-frame maps. */
export function keyOf(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('latin1');
}

/** Encode a pack index. */
export function encodePackIndex(frames: Frame[]): Buffer {
  const size = MAGIC.length + 4 + frames.reduce((n, f) => n + 48 + f.chunks.length * 40, 0);
  const out = Buffer.alloc(size + 32);
  MAGIC.copy(out, 0);
  let o = MAGIC.length;
  out.writeUInt32LE(frames.length, o);
  o += 4;
  for (const f of frames) {
    out.writeUInt32LE(f.offset, o);
    out.writeUInt32LE(f.storedLength, o + 4);
    out.writeUInt32LE(f.rawLength, o + 8);
    f.digest.copy(out, o + 12);
    out.writeUInt32LE(f.chunks.length, o + 44);
    o += 48;
    for (const c of f.chunks) {
      c.digest.copy(out, o);
      out.writeUInt32LE(c.inner, o + 32);
      out.writeUInt32LE(c.length, o + 36);
      o += 40;
    }
  }
  blake3(out.subarray(0, size)).copy(out, size);
  return out;
}

/** Decode and check a pack index. */
export function decodePackIndex(pack: string, buf: Buffer): Frame[] {
  const bad = (why: string) => new ImageIntegrityError(`pack index ${pack}.pidx is damaged: ${why}`);
  if (buf.length < MAGIC.length + 36 || !buf.subarray(0, 8).equals(MAGIC)) throw bad('not a tbx pack index');
  if (!blake3(buf.subarray(0, buf.length - 32)).equals(buf.subarray(buf.length - 32))) throw bad('checksum mismatch');
  const frames: Frame[] = [];
  let o = MAGIC.length + 4;
  for (let i = buf.readUInt32LE(MAGIC.length); i > 0; i--) {
    const n = buf.readUInt32LE(o + 44);
    const frame: Frame = { pack, offset: buf.readUInt32LE(o), storedLength: buf.readUInt32LE(o + 4), rawLength: buf.readUInt32LE(o + 8), digest: Buffer.from(buf.subarray(o + 12, o + 44)), chunks: [], checked: false };
    o += 48;
    for (let j = 0; j < n; j++, o += 40) frame.chunks.push({ digest: Buffer.from(buf.subarray(o, o + 32)), inner: buf.readUInt32LE(o + 32), length: buf.readUInt32LE(o + 36) });
    frames.push(frame);
  }
  if (o !== buf.length - 32) throw bad('inconsistent lengths');
  const checked = frames[0]?.offset === PACK_HEAD.length;
  for (const f of frames) f.checked = checked;
  return frames;
}

/**
 * The ids of every indexed pack in the store, plus packs that have no index (yet), and
 * `complete`: the indexed packs whose data file is there too.
 */
export async function listPacks(store: StorePaths): Promise<{ indexed: string[]; unindexed: string[]; complete: Set<string> }> {
  const indexed: string[] = [];
  const packs: string[] = [];
  for (const sub of await readdir(store.packs).catch(() => [] as string[])) {
    for (const name of await readdir(join(store.packs, sub)).catch(() => [] as string[])) {
      const m = /^([0-9a-f]{32})\.(pack|pidx)$/.exec(name);
      if (m) (m[2] === 'pidx' ? indexed : packs).push(m[1]!);
    }
  }
  const has = new Set(indexed);
  const data = new Set(packs);
  return { indexed: indexed.sort(), unindexed: packs.filter((p) => !has.has(p)).sort(), complete: new Set(indexed.filter((p) => data.has(p))) };
}

/** Read one pack's index. */
export async function readPackIndex(store: StorePaths, id: string): Promise<Frame[]> {
  return decodePackIndex(id, await readFile(packPaths(store, id).index));
}

/**
 * Appends compressed frames to packs, sealing each at {@link PACK_TARGET}: fsync, rename
 * into place, then write its index. `onSealed` learns the frames of each sealed pack.
 */
export class PackWriter {
  private fh: FileHandle | null = null;
  private id = '';
  private tmp = '';
  private size = 0;
  private frames: Frame[] = [];
  private sealing: Array<Promise<void>> = [];
  /** Compressed bytes written to packs so far. */
  storedBytes = 0;

  constructor(
    private readonly store: StorePaths,
    private readonly onSealed: (frames: Frame[]) => void,
  ) {}

  /** Append one compressed frame holding `chunks`, whose BLAKE3 is `digest` (checked against them by the caller). */
  async add(compressed: Uint8Array, rawLength: number, chunks: FrameChunk[], digest: Buffer): Promise<void> {
    if (!this.fh) await this.start();
    const frame: Frame = { pack: this.id, offset: this.size, storedLength: compressed.length, rawLength, digest, chunks, checked: true };
    await this.fh!.write(compressed, 0, compressed.length, this.size).catch((err: unknown) => Promise.reject(shareWriteError(this.tmp, err, `${this.size} bytes written to it`)));
    this.size += compressed.length;
    this.storedBytes += compressed.length;
    this.frames.push(frame);
    if (this.size >= PACK_TARGET) this.seal();
  }

  /** Seal the open pack in the background (fsync, rename, index); the next frame starts a new one. */
  seal(): void {
    if (!this.fh) return;
    const [fh, id, tmp, frames] = [this.fh, this.id, this.tmp, this.frames];
    this.fh = null;
    this.frames = [];
    const p = packPaths(this.store, id);
    const sealed = (async () => {
      await fh.sync().catch((err: unknown) => Promise.reject(shareWriteError(tmp, err)));
      await fh.close();
      await rename(tmp, p.pack);
      // The index is what makes the pack count, so it is written only once the pack is durable.
      await writeFileAtomic(p.index, encodePackIndex(frames)).catch((err: unknown) => Promise.reject(shareWriteError(p.index, err)));
      this.onSealed(frames);
    })();
    sealed.catch(() => undefined);
    this.sealing.push(sealed);
  }

  /** Seal the open pack and wait until every pack is durable and indexed. */
  async finish(): Promise<void> {
    this.seal();
    await Promise.all(this.sealing);
    this.sealing = [];
  }

  /** Give up: remove the open pack's temp file (sealed packs stay; gc removes unreferenced ones). */
  async abort(): Promise<void> {
    await Promise.allSettled(this.sealing);
    if (!this.fh) return;
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmp).catch(() => undefined);
    this.fh = null;
  }

  private async start(): Promise<void> {
    this.id = randomBytes(16).toString('hex');
    const p = packPaths(this.store, this.id);
    await mkdir(p.dir, { recursive: true });
    this.tmp = join(p.dir, `.${this.id}.pack.tmp-${process.pid}`);
    this.fh = await open(this.tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    await this.fh.write(PACK_HEAD, 0, PACK_HEAD.length, 0);
    this.size = PACK_HEAD.length;
    this.storedBytes += PACK_HEAD.length;
  }
}

/** Open pack files shared by concurrent frame reads; call {@link closePacks} when done. */
export type PackHandles = Map<string, Promise<FileHandle>>;

/** Read frame `f`'s compressed bytes and check them against its digest. */
export async function readFrame(store: StorePaths, f: Omit<Frame, 'chunks'>, handles: PackHandles): Promise<Buffer> {
  let fh = handles.get(f.pack);
  if (!fh) {
    fh = open(packPaths(store, f.pack).pack, 'r');
    handles.set(f.pack, fh);
  }
  // Not from Node's shared pool: frames are transferred to worker threads.
  const buf = Buffer.allocUnsafeSlow(f.storedLength);
  const { bytesRead } = await (await fh).read(buf, 0, f.storedLength, f.offset);
  if (bytesRead !== f.storedLength || !blake3(buf).equals(f.digest)) {
    throw new ImageIntegrityError(`pack ${f.pack} is damaged: the frame at offset ${f.offset} (${f.storedLength} bytes) does not match its checksum`);
  }
  return buf;
}

/** Close every pack opened through `handles`. */
export async function closePacks(handles: PackHandles): Promise<void> {
  await Promise.all([...handles.values()].map((h) => h.then((fh) => fh.close()).catch(() => undefined)));
  handles.clear();
}
