import type { FileHandle } from 'node:fs/promises';

/** Bytes written between two background flushes. */
const STEP = 128 * 1024 * 1024;

/**
 * Counts what a restore has written and keeps the kernel writing it out meanwhile: after every
 * STEP bytes, an fdatasync starts in the background (one at a time). Without it, a restore of
 * less than the kernel's dirty threshold (10 % of memory) leaves every byte to the final
 * fsync, and the disk writes only after the CPU has finished; with it, the disk writes while
 * the workers decompress. A background flush that fails is kept and thrown by {@link settle}:
 * Linux reports a write-back error to one fsync only, so it must not be lost here.
 */
export class Writeback {
  /** Bytes written so far (data and zeroed runs), for progress and error messages. */
  bytes = 0;
  private since = 0;
  private running: Promise<void> | undefined;
  private error: unknown;

  constructor(private readonly fh: FileHandle, private readonly step = STEP) {}

  /** Count `n` bytes written; start a background flush when a step's worth has piled up. */
  add(n: number): void {
    this.bytes += n;
    this.since += n;
    if (this.since < this.step || this.running) return;
    this.since = 0;
    this.running = this.fh
      .datasync()
      .catch((err: unknown) => {
        this.error ??= err;
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Wait for the background flush in flight; throw the first one that failed. */
  async settle(): Promise<void> {
    await this.running;
    if (this.error !== undefined) throw this.error;
  }
}
