import { open, type FileHandle } from 'node:fs/promises';
import { ImageIntegrityError } from '../store.js';
import { ENTRY, type GenerationHeader } from './index-file.js';
import { blake3Hasher } from './native.js';

const MAGIC = Buffer.from('TBXI0001');
/** Entries read at a time by {@link GenerationFile.windows}: 3 MiB of entries. */
export const WINDOW = 65536;

/**
 * A generation index read in pieces, so that memory does not grow with the disk: a 2 TB
 * disk's index holds tens of millions of 48-byte entries. Opening it reads the whole file
 * once to check its BLAKE3 and reads the header; entries are then read from the same open
 * file (indexes are immutable, and an unlinked one stays readable) as often as needed.
 */
export class GenerationFile {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly header: GenerationHeader,
    /** Entries in the index. */
    readonly count: number,
  ) {}

  /** Open and check a generation index; a damaged or truncated file is an {@link ImageIntegrityError}. */
  static async open(path: string): Promise<GenerationFile> {
    const fh = await open(path, 'r');
    try {
      const bad = (why: string) => new ImageIntegrityError(`generation index ${path} is damaged: ${why}`);
      const { size } = await fh.stat();
      if (size < MAGIC.length + 40) throw bad('not a tbx generation index');
      const head = Buffer.alloc(MAGIC.length);
      await readFully(fh, head, 0);
      if (!head.equals(MAGIC)) throw bad('not a tbx generation index');
      const tail = Buffer.alloc(40);
      await readFully(fh, tail, size - 40);
      const headerLen = tail.readUInt32LE(0);
      const count = tail.readUInt32LE(4);
      if (MAGIC.length + count * ENTRY + headerLen + 40 !== size) throw bad('inconsistent lengths');
      const h = blake3Hasher();
      const buf = Buffer.allocUnsafe(Math.min(8 << 20, size));
      for (let at = 0; at < size - 32; ) {
        const n = Math.min(buf.length, size - 32 - at);
        await readFully(fh, buf.subarray(0, n), at);
        h.update(buf.subarray(0, n));
        at += n;
      }
      if (!h.digestBuffer().equals(tail.subarray(8))) throw bad('checksum mismatch');
      const json = Buffer.alloc(headerLen);
      await readFully(fh, json, MAGIC.length + count * ENTRY);
      let header: GenerationHeader;
      try {
        header = JSON.parse(json.toString('utf8')) as GenerationHeader;
      } catch {
        throw bad('header is not JSON');
      }
      return new GenerationFile(path, fh, header, count);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Entries `[first, first + n)` as one buffer of 48-byte records (see index-file.ts). */
  async read(first: number, n: number, into?: Buffer): Promise<Buffer> {
    const len = Math.max(0, Math.min(n, this.count - first)) * ENTRY;
    const buf = into && into.length >= len ? into.subarray(0, len) : Buffer.allocUnsafe(len);
    await readFully(this.fh, buf, MAGIC.length + first * ENTRY);
    return buf;
  }

  /**
   * Every entry, `size` at a time, in disk order. The buffer is reused: copy what must outlive
   * the next step.
   */
  async *windows(size = WINDOW): AsyncGenerator<{ first: number; entries: Buffer }> {
    const buf = Buffer.allocUnsafe(Math.min(size, Math.max(1, this.count)) * ENTRY);
    for (let first = 0; first < this.count; first += size) yield { first, entries: await this.read(first, size, buf) };
  }

  /** Close the file. */
  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Open a generation index, run `fn` on it and close it. */
export async function withGeneration<T>(path: string, fn: (g: GenerationFile) => Promise<T>): Promise<T> {
  const g = await GenerationFile.open(path);
  try {
    return await fn(g);
  } finally {
    await g.close();
  }
}

async function readFully(fh: FileHandle, buf: Buffer, at: number): Promise<void> {
  for (let o = 0; o < buf.length; ) {
    const { bytesRead } = await fh.read(buf, o, buf.length - o, at + o);
    if (bytesRead === 0) throw new ImageIntegrityError('a generation index ended early');
    o += bytesRead;
  }
}
