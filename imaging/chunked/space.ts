import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { GzipStore } from '../gzip-store.js';
import { packPaths, storeAt } from './layout.js';
import { listPacks, loadChunkMap, type ChunkMap } from './pack-file.js';
import { boxDirs, readAllGenerations, type BoxGeneration } from './references.js';

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

/** A chunk's share of its frame's compressed size. */
function storedSize(map: ChunkMap, key: string): number {
  const loc = map.get(key)?.[0];
  return loc ? Math.round((loc.frame.storedLength * loc.length) / loc.frame.rawLength) : 0;
}

/** Every image (chunked generations and seed gzip images) of the given boxes, oldest first. */
export async function listImages(backupRoot: string, ips?: string[]): Promise<ImageRow[]> {
  const map = await loadChunkMap(storeAt(join(backupRoot, '.tbx-chunks')));
  const rows: ImageRow[] = [];
  for (const g of await readAllGenerations(backupRoot, ips)) {
    let stored = 0;
    for (const k of g.chunks.keys()) stored += storedSize(map, k);
    const h = g.header;
    rows.push({ ip: g.ip, device: g.device, format: 'chunked', generation: g.generation, createdAt: h.createdAt, logicalBytes: h.disk.size, dataBytes: h.stats.dataBytes, storedBytes: stored, newBytes: h.stats.newStoredBytes, mode: h.mode, digest: `blake3-tree:${h.digest}` });
  }
  for (const ip of ips ?? (await boxDirs(backupRoot))) {
    for (const i of await new GzipStore().list(join(backupRoot, ip))) {
      rows.push({ ip, device: i.device, format: 'gzip', generation: null, createdAt: i.createdAt, logicalBytes: null, dataBytes: null, storedBytes: i.storedBytes, newBytes: i.storedBytes, mode: null, digest: i.sha256 });
    }
  }
  return rows.sort((a, b) => a.ip.localeCompare(b.ip) || a.device.localeCompare(b.device) || (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
}

/** Space per box and the dedup ratio of the whole share. */
export async function spaceReport(backupRoot: string): Promise<SpaceReport> {
  const store = storeAt(join(backupRoot, '.tbx-chunks'));
  const map = await loadChunkMap(store);
  const gens = await readAllGenerations(backupRoot);
  const owners = new Map<string, Set<string>>();
  for (const g of gens) for (const k of g.chunks.keys()) (owners.get(k) ?? owners.set(k, new Set()).get(k)!).add(g.ip);
  const byIp = new Map<string, BoxGeneration[]>();
  for (const g of gens) (byIp.get(g.ip) ?? byIp.set(g.ip, []).get(g.ip)!).push(g);
  const boxes: SpaceReport['boxes'] = [];
  for (const ip of await boxDirs(backupRoot)) {
    const mine = byIp.get(ip) ?? [];
    const keys = new Set<string>();
    for (const g of mine) for (const k of g.chunks.keys()) keys.add(k);
    let unique = 0;
    let shared = 0;
    for (const k of keys) owners.get(k)!.size === 1 ? (unique += storedSize(map, k)) : (shared += storedSize(map, k));
    const gzipBytes = (await new GzipStore().list(join(backupRoot, ip))).reduce((n, i) => n + i.storedBytes, 0);
    if (mine.length || gzipBytes) boxes.push({ ip, generations: mine.length, dataBytes: mine.reduce((n, g) => n + g.header.stats.dataBytes, 0), uniqueBytes: unique, sharedBytes: shared, gzipBytes });
  }
  let storeBytes = 0;
  for (const id of (await listPacks(store)).indexed) storeBytes += (await lstat(packPaths(store, id).pack).catch(() => ({ size: 0 }))).size;
  let referencedBytes = 0;
  for (const k of owners.keys()) referencedBytes += storedSize(map, k);
  const dataBytes = gens.reduce((n, g) => n + g.header.stats.dataBytes, 0);
  return { boxes, storeBytes, referencedBytes, dataBytes, ratio: referencedBytes ? dataBytes / referencedBytes : 0 };
}
