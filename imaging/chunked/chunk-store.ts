import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageIntegrityError, type DiskResult, type DiskTarget, type ImageStore, type ImageSummary, type ImagingContext, type BackupOptions } from '../store.js';
import { TbxError } from '../../lib/errors.js';
import { backupDisk } from './backup.js';
import { DEFAULT_ZSTD, type ZstdParams } from './compression.js';
import { listGenerations, pruneGenerations, scanGenerations, type GenerationInfo } from './generations.js';
import { GenerationFile } from './generation-file.js';
import { storeFor } from './layout.js';
import { lockStore } from './locks.js';
import { restoreGeneration } from './restore.js';
import { WorkerPool } from './worker-pool.js';

/** How a chunk store works; every field has a default. */
export interface ChunkStoreOptions {
  /** How new frames are compressed (default {@link DEFAULT_ZSTD}). */
  zstd?: ZstdParams;
  /** Skip free space of file systems tbx understands (default true). */
  skipFree?: boolean;
  /** Worker threads (default: one per core; 0 runs inline). */
  workers?: number;
  /** How long a backup waits for a running gc to finish (default 10 minutes). */
  lockWaitMs?: number;
}

/**
 * The chunked image store: a content-addressed, zstd-compressed chunk store shared by every
 * box of the backup share (`<backup>/.tbx-chunks/`), and per box and disk an immutable index
 * per backup generation (`<backup>/<ip>/images/<dev>/<n>.tbxi`). See imaging/chunked/*.ts.
 */
export class ChunkStore implements ImageStore {
  readonly format = 'chunked' as const;

  constructor(private readonly options: ChunkStoreOptions = {}) {}

  async list(dir: string): Promise<ImageSummary[]> {
    const { good, damaged } = await scanGenerations(dir);
    const newest = new Map<string, GenerationInfo>();
    for (const g of good) newest.set(g.device, g);
    return [...newest.values()].map((g) => {
      const worse = damaged.filter((d) => d.device === g.device && d.generation > g.generation).pop();
      return { ...summaryOf(g), ...(worse ? { newerDamaged: `generation ${worse.generation} (${worse.ref}) is damaged: ${worse.reason}` } : {}) };
    });
  }

  /** Every generation of every disk of the box, oldest first. */
  async generations(dir: string): Promise<ImageSummary[]> {
    return (await listGenerations(dir)).map(summaryOf);
  }

  async backup(disk: DiskTarget, dir: string, options: BackupOptions): Promise<DiskResult> {
    const store = storeFor(dir);
    const lock = await lockStore(store, 'shared', { waitMs: this.options.lockWaitMs ?? 10 * 60 * 1000 });
    const pool = new WorkerPool(this.options.workers);
    try {
      const r = await backupDisk({
        disk,
        boxDir: dir,
        store,
        pool,
        zstd: this.options.zstd ?? DEFAULT_ZSTD,
        skipFree: options.skipFree ?? this.options.skipFree ?? true,
        box: options.box ?? {},
        toolVersion: toolVersion(),
        log: options.log,
        ...(options.progress ? { progress: options.progress } : {}),
      });
      const h = r.header;
      options.log.info({ generation: r.generation, mode: h.mode, chunks: h.stats.chunks, newChunks: h.stats.newChunks, newStoredBytes: r.newStoredBytes, seconds: h.stats.seconds }, 'backup generation written');
      if (options.replace) {
        const dropped = await pruneGenerations(dir, disk.device, options.keep ?? 3);
        if (dropped.length) options.log.info({ dropped, keep: options.keep ?? 3 }, 'older generations removed (their chunks go at the next gc)');
      }
      return {
        device: disk.device,
        bytes: h.disk.size - h.stats.unusedBytes,
        digest: `blake3-tree:${h.digest}`,
        seconds: h.stats.seconds,
        image: r.ref,
        storedBytes: r.newStoredBytes,
        mode: h.mode,
        generation: r.generation,
      };
    } finally {
      await pool.close();
      await lock.release();
    }
  }

  async restore(image: ImageSummary, disk: DiskTarget, dir: string, context: ImagingContext): Promise<DiskResult> {
    const started = Date.now();
    const store = storeFor(dir);
    const generation = await GenerationFile.open(join(dir, image.ref));
    if (generation.header.device !== image.device) {
      await generation.close();
      throw new ImageIntegrityError(`${image.ref} is an image of ${generation.header.device}, not ${image.device}`);
    }
    const lock = await lockStore(store, 'shared', { waitMs: this.options.lockWaitMs ?? 10 * 60 * 1000 }).catch(async (err: unknown) => {
      await generation.close();
      throw err;
    });
    const pool = new WorkerPool(this.options.workers);
    try {
      const r = await restoreGeneration({ generation, disk, store, pool, log: context.log, ...(context.progress ? { progress: context.progress } : {}) });
      context.log.info({ generation: generation.header.generation, bytesWritten: r.bytesWritten, chunksWritten: r.chunksWritten, verifiedBytes: r.verifiedBytes, phases: r.phases }, 'restore done');
      return {
        device: disk.device,
        bytes: r.bytesWritten,
        digest: `blake3-tree:${r.digest}`,
        readBack: `blake3-tree:${r.readBack}`,
        seconds: (Date.now() - started) / 1000,
        image: image.ref,
        mode: generation.header.mode,
        generation: generation.header.generation,
      };
    } finally {
      await pool.close();
      await lock.release();
      await generation.close();
    }
  }
}

function summaryOf(g: GenerationInfo): ImageSummary {
  const h = g.header;
  return {
    device: g.device,
    format: 'chunked',
    ref: g.ref,
    createdAt: h.createdAt,
    storedBytes: h.stats.newStoredBytes,
    logicalBytes: h.disk.size,
    sha256: null,
    digest: `blake3-tree:${h.digest}`,
    generation: g.generation,
    mode: h.mode,
    origin: { size: h.disk.size, ...(h.disk.model ? { model: h.disk.model } : {}), ...(h.disk.serial ? { serial: h.disk.serial } : {}), ...(h.box.ip ? { ip: h.box.ip } : {}), ...(h.box.name ? { name: h.box.name } : {}), ...(h.box.request ? { request: h.box.request } : {}) },
  };
}

let version: string | undefined;
/** tbx's version, recorded in every generation. */
export function toolVersion(): string {
  if (version) return version;
  try {
    version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    version = 'unknown';
  }
  return version;
}

/** Thrown when a named generation does not exist. */
export class NoSuchGenerationError extends TbxError {}
