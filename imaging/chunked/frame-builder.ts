import { ImageIntegrityError } from '../store.js';
import type { FrameChunk, PackWriter } from './pack-file.js';
import type { WorkerPool } from './worker-pool.js';
import { MAX_CHUNK } from './chunker.js';
import { zstdBound } from './native.js';
import type { ZstdParams } from './compression.js';

/** Raw bytes gathered into one zstd frame before it is compressed. */
export const FRAME_TARGET = 8 * 1024 * 1024;

/** A frame's two buffers: its raw bytes, and room for them compressed. */
interface FrameBuffers {
  raw: Buffer;
  out: Buffer;
}

/**
 * Gathers new chunks into frames of about {@link FRAME_TARGET} raw bytes, compresses them in
 * the worker pool and appends them to packs in order. At most `maxInFlight` frames are being
 * compressed at once, which bounds memory whatever the disk size. Their buffers are shared with
 * the workers (SharedArrayBuffer) and reused once the frame is in its pack: allocating or
 * transferring 16 MiB per frame cost the main thread GC and page-fault time. A frame's buffers
 * are only written by this class (raw, until sealed) and by the one job compressing it (out).
 */
export class FrameBuilder {
  private readonly free: FrameBuffers[] = [];
  private buf = this.take();
  private used = 0;
  private chunks: FrameChunk[] = [];
  private readonly inFlight: Array<Promise<void>> = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: WorkerPool,
    private readonly packs: PackWriter,
    private readonly params: ZstdParams,
    private readonly maxInFlight = Math.max(2, pool.size * 2),
  ) {}

  /** Add a new chunk (copied; the caller may reuse `data`). */
  async add(data: Buffer, digest: Buffer): Promise<void> {
    if (this.used + data.length > FRAME_TARGET) await this.sealFrame();
    data.copy(this.buf.raw, this.used);
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
    const { raw, out } = this.buf;
    const chunks = this.chunks;
    const rawLength = this.used;
    const job = { type: 'compress' as const, raw: new Uint8Array(raw.buffer, 0, rawLength), out: new Uint8Array(out.buffer), params: this.params, checks: encodeChecks(chunks) };
    const compressed = this.pool.run(job);
    // Frames are appended in the order they were sealed, whichever worker finishes first.
    const landed = (this.tail = this.tail.then(async () => {
      const r = await compressed;
      if (r.type !== 'compress') throw new Error('unexpected worker result');
      if (r.bad !== -1) throw new ImageIntegrityError(`a new frame did not decompress to its chunks (chunk ${chunks[r.bad]?.digest.toString('hex') ?? '?'} differs); it was not stored (memory or CPU fault?)`);
      await this.packs.add(out.subarray(0, r.length), rawLength, chunks, Buffer.from(r.digest));
      this.free.push({ raw, out });
    }));
    landed.catch(() => undefined); // awaited later; this only keeps an early failure from being 'unhandled'
    this.inFlight.push(landed);
    this.buf = this.take();
    this.used = 0;
    this.chunks = [];
    if (this.inFlight.length >= this.maxInFlight) await this.inFlight.shift();
  }

  private take(): FrameBuffers {
    return this.free.pop() ?? { raw: Buffer.from(new SharedArrayBuffer(FRAME_TARGET + MAX_CHUNK)), out: Buffer.from(new SharedArrayBuffer(zstdBound(FRAME_TARGET + MAX_CHUNK))) };
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
