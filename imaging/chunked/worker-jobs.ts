import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { BLOCK, zeroBlockMap } from './chunker.js';
import { ENTRY, KIND } from './index-file.js';
import { blake3, zstdInto } from './native.js';
import type { ZstdParams } from './compression.js';

/**
 * The CPU-heavy steps of imaging, as plain functions of buffers, so they run the same in a
 * worker thread (see worker.ts) and in tests. Each returns what the caller needs and nothing
 * it could misuse: a decompressed frame only after every listed chunk matched its digest.
 */
export type Job =
  /** `out` receives the frame (at least zstd's bound of `raw`); both are shared with the caller, who reuses them. */
  | { type: 'compress'; raw: Uint8Array; out: Uint8Array; params: ZstdParams; checks: Uint8Array }
  | { type: 'scan'; fd: number; start: number; end: number; entries: Uint8Array }
  | { type: 'check-frame'; pack: string; offset: number; length: number; digest: Uint8Array; deep?: { rawLength: number; checks: Uint8Array } }
  | { type: 'restore-frame'; pack: string; offset: number; length: number; digest: Uint8Array; rawLength: number; fd: number; writes: Uint8Array };

/** What a job returns. */
export type JobResult =
  /** The frame is the job's `out[0, length)`. */
  | { type: 'compress'; length: number; digest: Uint8Array; bad: number }
  | { type: 'scan'; dataIndexes: number[]; zeroRanges: number[] }
  /** `ok`: the frame matches its checksum; `bad`: checked chunks that do not match; `error`: it does not decompress. */
  | { type: 'check-frame'; ok: boolean; bad: number[]; error?: string }
  | { type: 'restore-frame'; written: number; bad: number; error?: string };

let zstd: ReturnType<typeof zstdInto> | undefined;
/** This thread's buffers, reused by every job: compressed frames read from packs, decompressed frames. */
const bufs: { frame?: Buffer; raw?: Buffer } = {};

function buffer(name: keyof typeof bufs, size: number): Buffer {
  const b = bufs[name];
  if (b && b.length >= size) return b;
  return (bufs[name] = Buffer.allocUnsafeSlow(Math.max(size, 9 * 1024 * 1024)));
}

/** Decompress `compressed` into this thread's buffer: the frame's raw bytes, or undefined when it is not `rawLength` bytes. */
function decompressFrame(compressed: Uint8Array, rawLength: number): Buffer | undefined {
  zstd ??= zstdInto();
  const raw = buffer('raw', rawLength);
  let n: number;
  try {
    n = zstd.decompress(raw.subarray(0, rawLength), compressed);
  } catch {
    return undefined;
  }
  return n === rawLength ? raw.subarray(0, n) : undefined;
}

/** Run one job in the current thread. */
export function runJob(job: Job): JobResult {
  switch (job.type) {
    case 'compress': {
      zstd ??= zstdInto();
      const n = zstd.compress(job.out, job.raw, job.params);
      const compressed = job.out.subarray(0, n);
      // The frame's checksum must vouch for its chunks: what decompresses from exactly these
      // bytes is checked against every chunk's digest before the frame is stored.
      const raw = decompressFrame(compressed, job.raw.length);
      const bad = raw ? badChunk(raw, job.raw.length, job.checks) : 0;
      return { type: 'compress', length: n, digest: blake3(compressed), bad };
    }
    case 'scan':
      return scan(job);
    case 'check-frame': {
      const compressed = readFrameSync(job.pack, job.offset, job.length);
      const ok = compressed.length === job.length && blake3(compressed).equals(job.digest);
      if (!ok || !job.deep) return { type: 'check-frame', ok, bad: [] };
      const raw = decompressFrame(compressed, job.deep.rawLength);
      const all = Array.from({ length: job.deep.checks.length / 40 }, (_, i) => i);
      if (!raw) return { type: 'check-frame', ok, bad: all, error: `it does not decompress to ${job.deep.rawLength} bytes` };
      const bad: number[] = [];
      for (let from = 0; from < all.length; ) {
        const i = badChunk(raw, job.deep.rawLength, job.deep.checks.subarray(from * 40));
        if (i < 0) break;
        bad.push(from + i);
        from += i + 1;
      }
      return { type: 'check-frame', ok, bad };
    }
    case 'restore-frame':
      return restoreFrame(job);
  }
}

let scanBuf: Buffer | undefined;

/**
 * The first chunk of a decompressed frame that does not match its digest (0 also when the
 * frame is not `rawLength` bytes), or -1. `checks` holds 40 bytes per chunk: u32 inner offset,
 * u32 length, 32-byte BLAKE3.
 */
export function badChunk(raw: Buffer, rawLength: number, checks: Uint8Array): number {
  if (raw.length !== rawLength) return 0;
  const c = Buffer.from(checks.buffer, checks.byteOffset, checks.byteLength);
  for (let o = 0, i = 0; o < c.length; o += 40, i++) {
    const inner = c.readUInt32LE(o);
    const len = c.readUInt32LE(o + 4);
    if (inner + len > raw.length || !blake3(raw.subarray(inner, inner + len)).equals(c.subarray(o + 8, o + 40))) return i;
  }
  return -1;
}

/** Read `length` bytes at `offset` of a pack, opened for this read only, into this thread's frame buffer. */
function readFrameSync(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = buffer('frame', length).subarray(0, length);
    let n = 0;
    while (n < length) {
      const r = readSync(fd, buf, n, length - n, offset + n);
      if (r === 0) break;
      n += r;
    }
    return n === length ? buf : buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Read a frame, check it against its checksum, decompress it, check every chunk to write
 * against its digest, and only then write them to the disk (`fd`, shared with the caller):
 * a frame is written whole or not at all. `writes` holds 48 bytes per chunk: u32 inner offset,
 * u32 length, 32-byte digest, f64 disk offset. Chunks adjacent in the frame and on the disk
 * go out as one write.
 */
function restoreFrame(job: Extract<Job, { type: 'restore-frame' }>): JobResult {
  const compressed = readFrameSync(job.pack, job.offset, job.length);
  if (compressed.length !== job.length || !blake3(compressed).equals(job.digest)) return { type: 'restore-frame', written: 0, bad: -2 };
  const raw = decompressFrame(compressed, job.rawLength);
  const w = Buffer.from(job.writes.buffer, job.writes.byteOffset, job.writes.byteLength);
  const n = w.length / 48;
  for (let i = 0; i < n; i++) {
    const inner = w.readUInt32LE(i * 48);
    const len = w.readUInt32LE(i * 48 + 4);
    if (!raw || inner + len > raw.length || !blake3(raw.subarray(inner, inner + len)).equals(w.subarray(i * 48 + 8, i * 48 + 40))) return { type: 'restore-frame', written: 0, bad: i };
  }
  let written = 0;
  try {
    for (let i = 0; i < n; ) {
      const inner = w.readUInt32LE(i * 48);
      const at = w.readDoubleLE(i * 48 + 40);
      let len = w.readUInt32LE(i * 48 + 4);
      let j = i + 1;
      while (j < n && w.readUInt32LE(j * 48) === inner + len && w.readDoubleLE(j * 48 + 40) === at + len) len += w.readUInt32LE(j++ * 48 + 4);
      for (let o = 0; o < len; ) {
        const k = writeSync(job.fd, raw!, inner + o, len - o, at + o);
        o += k;
        written += k;
      }
      i = j;
    }
  } catch (err) {
    // The caller must learn how much reached the disk before the failure.
    return { type: 'restore-frame', written, bad: -1, error: err instanceof Error ? err.message : String(err) };
  }
  return { type: 'restore-frame', written, bad: -1 };
}

/** Bytes the scan reads ahead of what it compares: small enough to stay in the core's L2 cache. */
const SCAN_STEP = 256 * 1024;

/**
 * Read a stretch of the target disk (`fd`, `[start, end)`, into this thread's buffer) and
 * compare it with the image's entries covering it: which data extents differ (by digest), and which 4 KiB
 * blocks of zero or free extents are not zero (coalesced into ranges). The stretch is read
 * SCAN_STEP at a time, each step just before it is compared, so the bytes are still in the
 * cache when they are hashed: on the benchmark's 4 GiB disk, 256 KiB steps scanned in 0.95 s
 * where reading 8 MiB, then comparing, took 1.15 s (1 MiB steps: 1.09 s).
 */
function scan(job: Extract<Job, { type: 'scan' }>): JobResult {
  const size = job.end - job.start;
  if (!scanBuf || scanBuf.length < size) scanBuf = Buffer.allocUnsafeSlow(Math.max(size, 8 * 1024 * 1024));
  const buf = scanBuf;
  let have = 0;
  const need = (upTo: number) => {
    const until = Math.min(size, Math.max(upTo, have + SCAN_STEP));
    while (have < upTo) {
      const r = readSync(job.fd, buf, have, until - have, job.start + have);
      if (r === 0) throw new Error(`the disk ends before offset ${job.start + have}`);
      have += r;
    }
  };
  const base = job.start;
  const entries = Buffer.from(job.entries.buffer, job.entries.byteOffset, job.entries.byteLength);
  const dataIndexes: number[] = [];
  const zeroRanges: number[] = [];
  for (let i = 0, o = 0; o < entries.length; i++, o += ENTRY) {
    const offset = entries.readUInt32LE(o) + entries.readUInt32LE(o + 4) * 0x100000000;
    const length = entries.readUInt32LE(o + 8);
    const kind = entries.readUInt32LE(o + 12);
    const at = offset - base;
    if (kind === KIND.data) {
      need(at + length);
      if (!blake3(buf.subarray(at, at + length)).equals(entries.subarray(o + 16, o + 48))) dataIndexes.push(i);
      continue;
    }
    let runStart = -1;
    for (let piece = at; piece < at + length; piece += SCAN_STEP) {
      const pieceEnd = Math.min(at + length, piece + SCAN_STEP);
      need(pieceEnd);
      const zeros = zeroBlockMap(buf, piece, pieceEnd);
      for (let p = piece; p < pieceEnd; p += BLOCK) {
        const zero = zeros[(p - piece) / BLOCK] === 1;
        if (!zero && runStart < 0) runStart = p;
        if (zero && runStart >= 0) {
          zeroRanges.push(runStart + base, p - runStart);
          runStart = -1;
        }
      }
    }
    if (runStart >= 0) zeroRanges.push(runStart + base, at + length - runStart);
  }
  return { type: 'scan', dataIndexes, zeroRanges };
}
