import { createWriteStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { describeError, UsageError } from '../../lib/errors.js';
import { syncDir } from '../../lib/atomic-write.js';
import type { Logger } from '../../lib/logger.js';
import { ImageIntegrityError } from '../store.js';
import { GzipStore, verifyOpenImage } from '../gzip-store.js';
import { backupDisk, type BackupOutcome } from './backup.js';
import { toolVersion } from './chunk-store.js';
import { DEFAULT_ZSTD } from './compression.js';
import { ChunkIndex } from './chunk-index.js';
import type { GenerationFile } from './generation-file.js';
import { ENTRY, entryAt, KIND } from './index-file.js';
import { storeFor, type StorePaths } from './layout.js';
import { lockStore } from './locks.js';
import { blake3, zstdDecompressor } from './native.js';
import { closePacks, keyOf, readFrame, type FrameChunk, type PackHandles } from './pack-file.js';
import { StreamReader } from './stream-reader.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * Turn every gzip image of a box (the seed's `<dev>.gz` / `<dev>.raw.gz`, or tbx's gzip
 * format) into a new chunked generation. The gzip files are left in place. Each image is
 * opened once, checked against its `.sha256` when it has one, and read from that open file.
 * When the image has a `.disk.json` sidecar (tbx's gzip store wrote it), the disk's identity
 * (size, model, serial) and the box's name carry over into the generation, and the raw
 * content must match the sidecar's size and SHA-256 before the generation is committed.
 */
export async function importSeedImages(boxDir: string, o: { pool: WorkerPool; log: Logger; ip: string }): Promise<BackupOutcome[]> {
  const store = storeFor(boxDir);
  const out: BackupOutcome[] = [];
  const lock = await lockStore(store, 'shared', { waitMs: 10 * 60 * 1000 });
  try {
    for (const image of await new GzipStore().list(boxDir)) {
      const file = join(boxDir, image.ref);
      const src = await open(file, 'r');
      try {
        const { sidecar } = await verifyOpenImage(file, src, { log: o.log });
        const raw = createHash('sha256');
        let bytes = 0;
        const gunzip = createGunzip({ chunkSize: 1 << 20 });
        const input = src.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 });
        input.on('error', (err) => gunzip.destroy(err));
        const content = input.pipe(gunzip);
        const counted = (async function* () {
          for await (const b of content as AsyncIterable<Buffer>) {
            raw.update(b);
            bytes += b.length;
            yield b;
          }
        })();
        const r = await backupDisk({
          disk: { device: image.device, path: file, size: Number.MAX_SAFE_INTEGER, ...(sidecar?.model ? { model: sidecar.model } : {}), ...(sidecar?.serial ? { serial: sidecar.serial } : {}) },
          reader: new StreamReader(counted),
          importedFrom: image.ref,
          boxDir,
          store,
          pool: o.pool,
          zstd: DEFAULT_ZSTD,
          skipFree: false,
          box: { ip: o.ip, ...(sidecar?.name ? { name: sidecar.name } : {}) },
          toolVersion: toolVersion(),
          log: o.log,
          ...(image.createdAt ? { now: () => new Date(image.createdAt!) } : {}),
          beforeCommit: async () => {
            const sha = raw.digest('hex');
            if (sidecar && (bytes !== sidecar.size || (sidecar.sha256 && sha !== sidecar.sha256))) {
              throw new ImageIntegrityError(`${file} decompresses to ${bytes} bytes with sha256 ${sha}, but its .disk.json records ${sidecar.size} bytes with sha256 ${sidecar.sha256 ?? '(none)'}; not imported`);
            }
          },
        });
        o.log.info({ image: image.ref, generation: r.generation, newStoredBytes: r.newStoredBytes, identity: sidecar ? 'from .disk.json' : 'none recorded' }, 'imported gzip image');
        out.push(r);
      } finally {
        await src.close();
      }
    }
  } finally {
    await lock.release();
  }
  return out;
}

/**
 * Write a generation as a plain disk image (raw, or gzip like the seed's) to `out`, checking
 * every chunk against its digest on the way (a damaged frame or chunk falls back to the next
 * copy). Zero and free extents come out as zeros. The index is read in windows.
 */
export async function exportGeneration(gen: GenerationFile, store: StorePaths, format: 'raw' | 'gz', out: Writable): Promise<void> {
  const index = await ChunkIndex.load(store);
  const decompress = zstdDecompressor();
  const handles: PackHandles = new Map();
  const zeros = Buffer.alloc(1 << 20);
  const badFrames = new Set<number>();
  let cached: { frame: number; raw: Buffer; inner: Map<string, FrameChunk> } | undefined;
  const chunkOf = async (digest: Buffer, at: number): Promise<Buffer> => {
    const problems: string[] = [];
    let copies = 0;
    for (let h = index.table.first(digest); h >= 0; h = index.table.next(h), copies++) {
      const f = index.table.value(h);
      if (badFrames.has(f)) continue;
      if (cached?.frame !== f) {
        try {
          const raw = decompress(await readFrame(store, index.frame(f), handles));
          cached = { frame: f, raw, inner: new Map((await index.chunksOf(f)).map((c) => [keyOf(c.digest), c])) };
        } catch (err) {
          badFrames.add(f);
          problems.push(describeError(err));
          continue;
        }
      }
      const c = cached.inner.get(keyOf(digest));
      const data = c && cached.raw.subarray(c.inner, c.inner + c.length);
      if (data && blake3(data).equals(digest)) return data;
      problems.push(`pack ${index.frame(f).pack}: the copy in the frame at ${index.frame(f).offset} does not match its digest`);
    }
    throw new ImageIntegrityError(`chunk ${digest.toString('hex')} at ${at} ${copies ? `has no intact copy in the chunk store: ${problems.join('; ')}` : 'is missing from the chunk store'}`);
  };
  async function* content(): AsyncGenerator<Buffer> {
    for await (const { entries } of gen.windows()) {
      for (let o = 0; o < entries.length; o += ENTRY) {
        const e = entryAt(entries, o / ENTRY);
        if (e.kind !== KIND.data) {
          for (let left = e.length; left > 0; left -= zeros.length) yield zeros.subarray(0, Math.min(left, zeros.length));
          continue;
        }
        yield Buffer.from(await chunkOf(Buffer.from(e.digest), e.offset));
      }
    }
  }
  try {
    if (format === 'gz') await pipeline(Readable.from(content()), createGzip({ level: 6 }), out);
    else await pipeline(Readable.from(content()), out);
  } finally {
    await closePacks(handles);
  }
}

/**
 * Export into the file `path` without ever leaving a partial image under that name: the
 * image is written to a temp file in the same directory, fsynced, and linked into place only
 * when complete (an existing `path` is refused, before and at the end). On failure the temp
 * file goes.
 */
export async function exportToFile(gen: GenerationFile, store: StorePaths, format: 'raw' | 'gz', path: string): Promise<void> {
  if (await lstat(path).then(() => true, () => false)) throw new UsageError(`${path} already exists; not overwriting it`);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await exportGeneration(gen, store, format, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    const fh = await open(tmp, 'r');
    await fh.sync().finally(() => fh.close());
    await link(tmp, path);
    await unlink(tmp);
    await syncDir(dirname(path));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
