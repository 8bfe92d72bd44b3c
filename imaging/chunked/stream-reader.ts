import type { DiskReader } from './backup.js';

/**
 * Adapts a byte stream (a gunzipped seed image) to sequential positional reads: each read
 * must start where the previous one ended, and is filled completely unless the stream ends.
 */
export class StreamReader implements DiskReader {
  private readonly it: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  private pos = 0;
  private ended = false;

  constructor(stream: AsyncIterable<Buffer>) {
    this.it = stream[Symbol.asyncIterator]();
  }

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (position !== this.pos) throw new Error(`stream reads must be sequential (asked for ${position}, at ${this.pos})`);
    let n = 0;
    while (n < length) {
      if (this.pending.length === 0) {
        if (this.ended) break;
        const r = await this.it.next();
        if (r.done) {
          this.ended = true;
          break;
        }
        this.pending = r.value;
      }
      const take = Math.min(length - n, this.pending.length);
      this.pending.copy(buf, offset + n, 0, take);
      this.pending = this.pending.subarray(take);
      n += take;
    }
    this.pos += n;
    return { bytesRead: n };
  }
}
