import { BLOCK, zeroBlockMap } from './chunker.js';
import { ENTRY, KIND } from './index-file.js';
import { blake3, zstdCompressor, zstdDecompressor } from './native.js';

/**
 * The CPU-heavy steps of imaging, as plain functions of buffers, so they run the same in a
 * worker thread (see worker.ts) and in tests. Each returns what the caller needs and nothing
 * it could misuse: a decompressed frame only after every listed chunk matched its digest.
 */
export type Job =
  | { type: 'compress'; raw: Uint8Array; level: number }
  | { type: 'decompress'; compressed: Uint8Array; rawLength: number; checks: Uint8Array }
  | { type: 'scan'; buf: Uint8Array; base: number; entries: Uint8Array };

/** What a job returns. */
export type JobResult =
  | { type: 'compress'; compressed: Uint8Array }
  | { type: 'decompress'; raw: Uint8Array; bad: number }
  | { type: 'scan'; dataIndexes: number[]; zeroRanges: number[]; buf: Uint8Array };

let compress: ((b: Uint8Array) => Buffer) | undefined;
let compressLevel = -1;
let decompress: ((b: Uint8Array) => Buffer) | undefined;

/** Run one job in the current thread. */
export function runJob(job: Job): JobResult {
  switch (job.type) {
    case 'compress': {
      if (!compress || compressLevel !== job.level) {
        compress = zstdCompressor(job.level);
        compressLevel = job.level;
      }
      return { type: 'compress', compressed: compress(job.raw) };
    }
    case 'decompress': {
      decompress ??= zstdDecompressor();
      const raw = decompress(job.compressed);
      let bad = raw.length === job.rawLength ? -1 : 0;
      // checks: 40 bytes each (u32 inner, u32 length, 32-byte digest)
      const checks = Buffer.from(job.checks.buffer, job.checks.byteOffset, job.checks.byteLength);
      for (let o = 0, i = 0; bad < 0 && o < checks.length; o += 40, i++) {
        const inner = checks.readUInt32LE(o);
        const len = checks.readUInt32LE(o + 4);
        if (inner + len > raw.length || !blake3(raw.subarray(inner, inner + len)).equals(checks.subarray(o + 8, o + 40))) bad = i;
      }
      return { type: 'decompress', raw, bad };
    }
    case 'scan':
      return scan(job);
  }
}

/**
 * Compare a stretch of the target disk (`buf`, starting at disk offset `base`) with the
 * image's entries covering it: which data extents differ (by digest), and which 4 KiB
 * blocks of zero or free extents are not zero (coalesced into ranges).
 */
function scan(job: Extract<Job, { type: 'scan' }>): JobResult {
  const buf = Buffer.from(job.buf.buffer, job.buf.byteOffset, job.buf.byteLength);
  const entries = Buffer.from(job.entries.buffer, job.entries.byteOffset, job.entries.byteLength);
  const dataIndexes: number[] = [];
  const zeroRanges: number[] = [];
  for (let i = 0, o = 0; o < entries.length; i++, o += ENTRY) {
    const offset = entries.readUInt32LE(o) + entries.readUInt32LE(o + 4) * 0x100000000;
    const length = entries.readUInt32LE(o + 8);
    const kind = entries.readUInt32LE(o + 12);
    const at = offset - job.base;
    if (kind === KIND.data) {
      if (!blake3(buf.subarray(at, at + length)).equals(entries.subarray(o + 16, o + 48))) dataIndexes.push(i);
      continue;
    }
    let runStart = -1;
    const zeros = zeroBlockMap(buf, at, at + length);
    for (let p = at; p < at + length; p += BLOCK) {
      const zero = zeros[(p - at) / BLOCK] === 1;
      if (!zero && runStart < 0) runStart = p;
      if (zero && runStart >= 0) {
        zeroRanges.push(runStart + job.base, p - runStart);
        runStart = -1;
      }
    }
    if (runStart >= 0) zeroRanges.push(runStart + job.base, at + length - runStart);
  }
  return { type: 'scan', dataIndexes, zeroRanges, buf: job.buf };
}
