import { constants } from 'node:fs';
import { link, open, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { syncDir } from '../../lib/atomic-write.js';
import { blake3Hasher } from './native.js';

/**
 * A generation index (`images/<dev>/<n>.tbxi`): the immutable manifest of one backup of one
 * disk. Layout: magic `TBXI0001`, N entries of 48 bytes (u64 offset, u32 length, u32 kind,
 * 32-byte BLAKE3 digest of a data chunk), the JSON header, u32 header length, u32 N, and a
 * BLAKE3 of everything before it. Entries come first so a backup streams them to disk; the
 * file becomes visible only when complete (written, fsynced, then linked into place).
 */
const MAGIC = Buffer.from('TBXI0001');
/** Bytes per index entry. */
export const ENTRY = 48;
/**
 * The longest extent one entry holds: its length is a u32, so a longer zero or free run is
 * stored as several entries of at most this (the largest whole number of 4 KiB blocks below
 * 2^32). Every extent a u32 can hold is at most this long, so splitting changes no digest of
 * an index written before the split existed.
 */
export const MAX_EXTENT = 0x1_0000_0000 - 4096;

/** Extent kinds: stored data, all-zero run, free space of a file system (restored as zeros). */
export const KIND = { data: 0, zero: 1, unused: 2 } as const;
/** One of {@link KIND}. */
export type Kind = (typeof KIND)[keyof typeof KIND];

/** How the disk was read. */
export type ImagingMode = 'whole-disk' | 'used-blocks';

/** The JSON header of a generation. */
export interface GenerationHeader {
  format: 'tbx-chunked/1';
  device: string;
  generation: number;
  createdAt: string;
  box: { ip?: string; name?: string; request?: string };
  disk: { size: number; model?: string; serial?: string };
  tool: { name: 'tbx'; version: string };
  chunking: { block: number; minChunk: number; maxChunk: number; zeroRunMin: number; digest: 'blake3'; compression: string };
  mode: ImagingMode;
  /** What was understood of the disk in used-blocks mode, e.g. `ext4 at 0`; why not, otherwise. */
  layout: string[];
  /** Disk digest: BLAKE3 over the extent list (zero and free runs merged, as zeros) and the disk size. */
  digest: string;
  stats: { dataBytes: number; zeroBytes: number; unusedBytes: number; chunks: number; newChunks: number; newStoredBytes: number; seconds: number };
  /** For imported seed images: where it came from. */
  importedFrom?: string;
}

/** One decoded entry. */
export interface Entry {
  offset: number;
  length: number;
  kind: Kind;
  digest: Buffer;
}

/** Decode entry `i` of a table. */
export function entryAt(entries: Buffer, i: number): Entry {
  const o = i * ENTRY;
  return {
    offset: entries.readUInt32LE(o) + entries.readUInt32LE(o + 4) * 0x100000000,
    length: entries.readUInt32LE(o + 8),
    kind: entries.readUInt32LE(o + 12) as Kind,
    digest: entries.subarray(o + 16, o + 48),
  };
}

function encodeEntry(out: Buffer, at: number, offset: number, length: number, kind: Kind, digest?: Uint8Array): void {
  out.writeUInt32LE(offset % 0x100000000, at);
  out.writeUInt32LE(Math.floor(offset / 0x100000000), at + 4);
  out.writeUInt32LE(length, at + 8);
  out.writeUInt32LE(kind, at + 12);
  if (digest) out.set(digest, at + 16);
  else out.fill(0, at + 16, at + 48);
}

/**
 * Streams the entries of a new generation to a temp file beside its final name, computing
 * the disk digest on the way. Extents must come in disk order and cover the disk.
 */
export class IndexWriter {
  private buf = Buffer.alloc(ENTRY * 4096);
  private used = 0;
  private count = 0;
  private written = MAGIC.length;
  private readonly digest = blake3Hasher();
  private readonly toDigest = Buffer.alloc(ENTRY * 1365);
  private toDigestUsed = 0;
  private readonly whole = blake3Hasher();
  private lastEnd = 0;
  private pendingZero: { offset: number; length: number } | null = null;

  private constructor(
    private readonly fh: FileHandle,
    readonly tmp: string,
  ) {
    this.digest.update(Buffer.from('tbx-disk/1'));
    this.whole.update(MAGIC);
  }

  /** Start writing the index that will become `finalPath`. */
  static async create(finalPath: string): Promise<IndexWriter> {
    const tmp = join(dirname(finalPath), `.${basename(finalPath)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    await fh.write(MAGIC, 0, MAGIC.length, 0);
    return new IndexWriter(fh, tmp);
  }

  /** Bytes of the disk covered so far. */
  get covered(): number {
    return this.lastEnd;
  }

  /**
   * Append one extent. A zero or free extent of any length is fine (it is stored as entries
   * of at most {@link MAX_EXTENT}); a data extent must fit one entry.
   */
  async add(offset: number, length: number, kind: Kind, digest?: Uint8Array): Promise<void> {
    if (offset !== this.lastEnd) throw new Error(`index extents must be contiguous: ${offset} after ${this.lastEnd}`);
    if (kind === KIND.data && length > MAX_EXTENT) throw new RangeError(`a data extent of ${length} bytes does not fit an index entry`);
    this.lastEnd = offset + length;
    if (kind === KIND.data) {
      this.flushZeroDigest();
      this.digestEntry(offset, length, KIND.data, digest!);
    } else if (this.pendingZero) this.pendingZero.length += length;
    else this.pendingZero = { offset, length };
    let at = offset;
    do {
      const n = Math.min(offset + length - at, MAX_EXTENT);
      encodeEntry(this.buf, this.used, at, n, kind, digest);
      this.used += ENTRY;
      this.count++;
      if (this.used === this.buf.length) await this.flush();
      at += n;
    } while (at < offset + length);
  }

  /** Write the header and checksum, fsync, and link the file into place. Returns the disk digest. */
  async commit(finalPath: string, header: Omit<GenerationHeader, 'digest'>): Promise<string> {
    if (this.lastEnd !== header.disk.size) throw new Error(`index covers ${this.lastEnd} of ${header.disk.size} bytes`);
    this.flushZeroDigest();
    this.flushDigest();
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(header.disk.size));
    this.digest.update(size);
    const digest = this.digest.digestBuffer().toString('hex');
    await this.flush();
    const json = Buffer.from(JSON.stringify({ ...header, digest }));
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(json.length, 0);
    tail.writeUInt32LE(this.count, 4);
    this.whole.update(json);
    this.whole.update(tail);
    const sum = this.whole.digestBuffer();
    await this.fh.write(Buffer.concat([json, tail, sum]), 0, json.length + tail.length + sum.length, this.written);
    await this.fh.sync();
    await this.fh.close();
    // link() refuses an existing name: two writers can never replace each other's generation.
    await link(this.tmp, finalPath);
    await unlink(this.tmp);
    await syncDir(dirname(finalPath));
    return digest;
  }

  /** Give up: close and remove the temp file. */
  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmp).catch(() => undefined);
  }

  /** Entries go to the disk digest in batches (one native call per 1365 entries, same digest). */
  private digestEntry(offset: number, length: number, kind: Kind, digest?: Uint8Array): void {
    if (this.toDigestUsed + ENTRY > this.toDigest.length) this.flushDigest();
    encodeEntry(this.toDigest, this.toDigestUsed, offset, length, kind, digest);
    this.toDigestUsed += ENTRY;
  }

  private flushDigest(): void {
    this.digest.update(this.toDigest.subarray(0, this.toDigestUsed));
    this.toDigestUsed = 0;
  }

  /** A merged zero run is digested in MAX_EXTENT pieces: the same however its extents were cut. */
  private flushZeroDigest(): void {
    if (!this.pendingZero) return;
    const { offset, length } = this.pendingZero;
    for (let at = offset; at < offset + length; at += MAX_EXTENT) this.digestEntry(at, Math.min(MAX_EXTENT, offset + length - at), KIND.zero);
    this.pendingZero = null;
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    const chunk = this.buf.subarray(0, this.used);
    this.whole.update(chunk);
    await this.fh.write(chunk, 0, chunk.length, this.written);
    this.written += chunk.length;
    this.used = 0;
  }
}
