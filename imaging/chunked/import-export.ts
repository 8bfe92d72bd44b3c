import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { ImageIntegrityError } from '../store.js';
import { GzipStore, verifyChecksum } from '../gzip-store.js';
import { backupDisk, type BackupOutcome } from './backup.js';
import { toolVersion } from './chunk-store.js';
import { entryAt, KIND, type Entry, type Generation } from './index-file.js';
import { storeFor, type StorePaths } from './layout.js';
import { lockStore } from './locks.js';
import { blake3, zstdDecompressor } from './native.js';
import { closePacks, keyOf, loadChunkMap, readFrame, type Frame, type PackHandles } from './pack-file.js';
import { StreamReader } from './stream-reader.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * Turn every seed image of a box (`<dev>.gz`, `<dev>.raw.gz`, checked against a `.sha256`
 * when there is one) into a new chunked generation. The gzip files are left in place.
 */
export async function importSeedImages(boxDir: string, o: { pool: WorkerPool; log: Logger; ip: string }): Promise<BackupOutcome[]> {
  const store = storeFor(boxDir);
  const out: BackupOutcome[] = [];
  const lock = await lockStore(store, 'shared', { waitMs: 10 * 60 * 1000 });
  try {
    for (const image of await new GzipStore().list(boxDir)) {
      const file = join(boxDir, image.ref);
      await verifyChecksum(file, { log: o.log });
      const reader = new StreamReader(createReadStream(file, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 20 })));
      const r = await backupDisk({
        disk: { device: image.device, path: file, size: Number.MAX_SAFE_INTEGER },
        reader,
        importedFrom: image.ref,
        boxDir,
        store,
        pool: o.pool,
        level: 3,
        skipFree: false,
        box: { ip: o.ip },
        toolVersion: toolVersion(),
        log: o.log,
        ...(image.createdAt ? { now: () => new Date(image.createdAt!) } : {}),
      });
      o.log.info({ image: image.ref, generation: r.generation, newStoredBytes: r.newStoredBytes }, 'imported seed image');
      out.push(r);
    }
  } finally {
    await lock.release();
  }
  return out;
}

/**
 * Write a generation as a plain disk image (raw, or gzip like the seed's) to `out`, checking
 * every chunk against its digest on the way. Zero and free extents come out as zeros.
 */
export async function exportGeneration(gen: Generation, store: StorePaths, format: 'raw' | 'gz', out: Writable): Promise<void> {
  const map = await loadChunkMap(store);
  const decompress = zstdDecompressor();
  const handles: PackHandles = new Map();
  const zeros = Buffer.alloc(1 << 20);
  const badFrames = new Set<Frame>();
  let cached: { frame: Frame; raw: Buffer } | undefined;
  /** The chunk of `e` from its first intact copy: a damaged frame or chunk falls back to the next copy. */
  const chunkOf = async (e: Entry): Promise<Buffer> => {
    const copies = map.get(keyOf(e.digest)) ?? [];
    const problems: string[] = [];
    for (const loc of copies) {
      if (badFrames.has(loc.frame)) continue;
      if (cached?.frame !== loc.frame) {
        try {
          cached = { frame: loc.frame, raw: decompress(await readFrame(store, loc.frame, handles)) };
        } catch (err) {
          badFrames.add(loc.frame);
          problems.push(describeError(err));
          continue;
        }
      }
      const data = cached.raw.subarray(loc.inner, loc.inner + loc.length);
      if (blake3(data).equals(e.digest)) return data;
      problems.push(`pack ${loc.frame.pack}: the copy in the frame at ${loc.frame.offset} does not match its digest`);
    }
    throw new ImageIntegrityError(`chunk ${e.digest.toString('hex')} at ${e.offset} ${copies.length ? `has no intact copy in the chunk store: ${problems.join('; ')}` : 'is missing from the chunk store'}`);
  };
  async function* content(): AsyncGenerator<Buffer> {
    for (let i = 0; i < gen.count; i++) {
      const e = entryAt(gen.entries, i);
      if (e.kind !== KIND.data) {
        for (let left = e.length; left > 0; left -= zeros.length) yield zeros.subarray(0, Math.min(left, zeros.length));
        continue;
      }
      yield Buffer.from(await chunkOf(e));
    }
  }
  try {
    if (format === 'gz') await pipeline(Readable.from(content()), createGzip({ level: 6 }), out);
    else await pipeline(Readable.from(content()), out);
  } finally {
    await closePacks(handles);
  }
}

/** Open `path` (or stdout for `-`) for an export. */
export function exportTarget(path: string): Writable {
  return path === '-' ? process.stdout : createWriteStream(path, { flags: 'wx', mode: 0o644 });
}
