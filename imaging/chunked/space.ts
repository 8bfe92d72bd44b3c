import { lstat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { GzipStore } from '../gzip-store.js';
import { ChunkIndex } from './chunk-index.js';
import { withGeneration } from './generation-file.js';
import { ENTRY, KIND, type GenerationHeader } from './index-file.js';
import { packPaths, storeAt } from './layout.js';
import { listPacks } from './pack-file.js';
import { boxDirs, listGenerationFiles } from './references.js';

/** One row of `tbx image ls`. */
export interface ImageRow {
  ip: string;
  device: string;
  format: 'chunked' | 'gzip';
  /** Generation number (chunked); null for a seed image. */
  generation: number | null;
  createdAt: string | null;
  /** Disk size. */
  logicalBytes: number | null;
  /** Bytes of data the image holds (disk size less zero and free runs). */
  dataBytes: number | null;
  /** Compressed bytes of every chunk the image references (shared ones included). */
  storedBytes: number;
  /** Compressed bytes this generation added to the store when it was written. */
  newBytes: number;
  mode: string | null;
  digest: string | null;
}

/** One row of `tbx image du`, plus the share's totals. */
export interface SpaceReport {
  boxes: Array<{ ip: string; generations: number; dataBytes: number; uniqueBytes: number; sharedBytes: number; gzipBytes: number }>;
  /** Bytes of every pack on the share. */
  storeBytes: number;
  /** Compressed bytes of chunks some generation references. */
  referencedBytes: number;
  /** Data bytes of every generation, added up: what the images would take uncompressed and undeduplicated. */
  dataBytes: number;
  /** dataBytes / referencedBytes. */
  ratio: number;
}

/** Digest table flag: the chunk was already counted for the generation or box at hand. */
const SEEN = 2;
/** `aux` of a key's first entry in du: no owner yet (0), the owning box's number + 1, or shared. */
const SHARED = 0xffffffff;

/**
 * Table entries to unmark later: 4 bytes each up to a million of them; past that, unmarking
 * goes over the whole table instead, so memory does not grow with the generation.
 */
class Handles {
  private readonly list = new Uint32Array(1 << 20);
  private n = 0;
  private overflow = false;

  push(h: number): void {
    if (this.n < this.list.length) this.list[this.n++] = h;
    else this.overflow = true;
  }

  /** Clear `flag` on every handle pushed, and forget them. */
  clear(index: ChunkIndex, flag: number): void {
    if (this.overflow) index.table.forEach((h) => index.table.clearFlag(h, flag));
    else for (let i = 0; i < this.n; i++) index.table.clearFlag(this.list[i]!, flag);
    this.n = 0;
    this.overflow = false;
  }
}

/**
 * Visit every data chunk of one generation once (repeats within it skipped), streaming its
 * index: `fn` gets the chunk's first entry in the table (or -1 when it is not in the store)
 * and its length. Returns the generation's header.
 */
async function forEachChunk(path: string, index: ChunkIndex, fn: (h: number, length: number) => void): Promise<GenerationHeader> {
  const seen = new Handles();
  try {
    return await withGeneration(path, async (gen) => {
      for await (const { entries } of gen.windows()) {
        for (let e = 0; e < entries.length; e += ENTRY) {
          if (entries.readUInt32LE(e + 12) !== KIND.data) continue;
          const h = index.table.first(entries, e + 16);
          if (h >= 0 && index.table.flag(h, SEEN)) continue;
          if (h >= 0) {
            index.table.setFlag(h, SEEN);
            seen.push(h);
          }
          fn(h, entries.readUInt32LE(e + 8));
        }
      }
      return gen.header;
    });
  } finally {
    seen.clear(index, SEEN);
  }
}

/** Where a generation file is: box IP, device and number. */
function whereIs(backupRoot: string, path: string): { ip: string; device: string; generation: number } {
  const [ip, , device, name] = relative(backupRoot, path).split(sep);
  return { ip: ip!, device: device!, generation: Number(name!.slice(0, 8)) };
}

/** Every image (chunked generations and seed gzip images) of the given boxes, oldest first. */
export async function listImages(backupRoot: string, ips?: string[]): Promise<ImageRow[]> {
  const index = await ChunkIndex.load(storeAt(join(backupRoot, '.tbx-chunks')));
  const rows: ImageRow[] = [];
  for (const path of await listGenerationFiles(backupRoot, ips)) {
    let stored = 0;
    const h = await forEachChunk(path, index, (e, length) => (stored += e < 0 ? 0 : index.storedShare(index.table.value(e), length)));
    const { ip, device, generation } = whereIs(backupRoot, path);
    rows.push({ ip, device, format: 'chunked', generation, createdAt: h.createdAt, logicalBytes: h.disk.size, dataBytes: h.stats.dataBytes, storedBytes: stored, newBytes: h.stats.newStoredBytes, mode: h.mode, digest: `blake3-tree:${h.digest}` });
  }
  for (const ip of ips ?? (await boxDirs(backupRoot))) {
    for (const i of await new GzipStore().list(join(backupRoot, ip))) {
      rows.push({ ip, device: i.device, format: 'gzip', generation: null, createdAt: i.createdAt, logicalBytes: null, dataBytes: null, storedBytes: i.storedBytes, newBytes: i.storedBytes, mode: null, digest: i.sha256 });
    }
  }
  return rows.sort((a, b) => a.ip.localeCompare(b.ip) || a.device.localeCompare(b.device) || (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
}

/**
 * Space per box and the dedup ratio of the whole share. Two passes over every generation
 * index: the first finds each chunk's owner (one box, or shared), the second adds up per box.
 */
export async function spaceReport(backupRoot: string): Promise<SpaceReport> {
  const store = storeAt(join(backupRoot, '.tbx-chunks'));
  const index = await ChunkIndex.load(store);
  index.table.enableAux();
  const ips = await boxDirs(backupRoot);
  const paths = await listGenerationFiles(backupRoot);
  let referencedBytes = 0;
  let dataBytes = 0;
  for (const path of paths) {
    const owner = ips.indexOf(whereIs(backupRoot, path).ip) + 1;
    const h = await forEachChunk(path, index, (e, length) => {
      if (e < 0) return;
      const was = index.table.getAux(e);
      if (was === 0) referencedBytes += index.storedShare(index.table.value(e), length);
      if (was !== owner) index.table.setAux(e, was === 0 ? owner : SHARED);
    });
    dataBytes += h.stats.dataBytes;
  }
  const boxes: SpaceReport['boxes'] = [];
  for (const ip of ips) {
    const mine = paths.filter((p) => whereIs(backupRoot, p).ip === ip);
    let unique = 0;
    let shared = 0;
    let data = 0;
    // One box's generations share the SEEN marks: a chunk counts once per box.
    const seen = new Handles();
    for (const path of mine) {
      const h = await forEachChunk(path, index, (e, length) => {
        if (e < 0 || index.table.flag(e, SEEN + 1)) return;
        index.table.setFlag(e, SEEN + 1);
        seen.push(e);
        const bytes = index.storedShare(index.table.value(e), length);
        if (index.table.getAux(e) === SHARED) shared += bytes;
        else unique += bytes;
      });
      data += h.stats.dataBytes;
    }
    seen.clear(index, SEEN + 1);
    const gzipBytes = (await new GzipStore().list(join(backupRoot, ip))).reduce((n, i) => n + i.storedBytes, 0);
    if (mine.length || gzipBytes) boxes.push({ ip, generations: mine.length, dataBytes: data, uniqueBytes: unique, sharedBytes: shared, gzipBytes });
  }
  let storeBytes = 0;
  for (const id of (await listPacks(store)).indexed) storeBytes += (await lstat(packPaths(store, id).pack).catch(() => ({ size: 0 }))).size;
  return { boxes, storeBytes, referencedBytes, dataBytes, ratio: referencedBytes ? dataBytes / referencedBytes : 0 };
}
