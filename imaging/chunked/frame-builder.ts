import { ImageIntegrityError } from '../store.js';
import type { FrameChunk, PackWriter } from './pack-file.js';
import type { WorkerPool } from './worker-pool.js';
import { MAX_CHUNK } from './chunker.js';

/** Raw bytes gathered into one zstd frame before it is compressed. */
export const FRAME_TARGET = 8 * 1024 * 1024;

/**
 * Gathers new chunks into frames of about {@link FRAME_TARGET} raw bytes, compresses them in
 * the worker pool and appends them to packs in order. At most `maxInFlight` frames are being
 * compressed at once, which bounds memory whatever the disk size.
 */
export class FrameBuilder {
  private buf = FrameBuilder.alloc();
  private used = 0;
  private chunks: FrameChunk[] = [];
  private readonly inFlight: Array<Promise<void>> = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: WorkerPool,
    private readonly packs: PackWriter,
    private readonly level: number,
    private readonly maxInFlight = Math.max(2, pool.size * 2),
  ) {}

  /** Add a new chunk (copied; the caller may reuse `data`). */
  async add(data: Buffer, digest: Buffer): Promise<void> {
    if (this.used + data.length > FRAME_TARGET) await this.sealFrame();
    data.copy(this.buf, this.used);
    this.chunks.push({ digest, inner: this.used, length: data.length });
    this.used += data.length;
  }

  /** Compress and write everything gathered so far, then wait for all frames to land. */
  async finish(): Promise<void> {
    await this.sealFrame();
    await Promise.all(this.inFlight);
    await this.tail;
  }

  private async sealFrame(): Promise<void> {
    if (this.used === 0) return;
    const raw = new Uint8Array(this.buf.buffer, 0, this.used);
    const chunks = this.chunks;
    const rawLength = this.used;
    const compressed = this.pool.run({ type: 'compress', raw, level: this.level, checks: encodeChecks(chunks) }, this.pool.size ? [this.buf.buffer as ArrayBuffer] : []);
    // Frames are appended in the order they were sealed, whichever worker finishes first.
    const landed = (this.tail = this.tail.then(async () => {
      const r = await compressed;
      if (r.type !== 'compress') throw new Error('unexpected worker result');
      if (r.bad !== -1) throw new ImageIntegrityError(`a new frame did not decompress to its chunks (chunk ${chunks[r.bad]?.digest.toString('hex') ?? '?'} differs); it was not stored (memory or CPU fault?)`);
      await this.packs.add(r.compressed, rawLength, chunks, Buffer.from(r.digest));
    }));
    landed.catch(() => undefined); // awaited later; this only keeps an early failure from being 'unhandled'
    this.inFlight.push(landed);
    this.buf = FrameBuilder.alloc();
    this.used = 0;
    this.chunks = [];
    if (this.inFlight.length >= this.maxInFlight) await this.inFlight.shift();
  }

  private static alloc(): Buffer {
    return Buffer.allocUnsafeSlow(FRAME_TARGET + MAX_CHUNK);
  }
}

/** The chunks of a frame as a compress or decompress job checks them (see worker-jobs.ts `badChunk`). */
export function encodeChecks(chunks: FrameChunk[]): Buffer {
  const checks = Buffer.alloc(chunks.length * 40);
  chunks.forEach((c, i) => {
    checks.writeUInt32LE(c.inner, i * 40);
    checks.writeUInt32LE(c.length, i * 40 + 4);
    c.digest.copy(checks, i * 40 + 8);
  });
  return checks;
}
