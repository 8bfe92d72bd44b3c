import type { FileHandle } from 'node:fs/promises';
import { BLOCK } from './chunker.js';
import type { ImagingMode } from './index-file.js';
import { ext4FreeSpace, type FreeSpace } from './usage/ext4.js';
import { ntfsFreeSpace } from './usage/ntfs.js';
import { listPartitions } from './usage/partitions.js';

/** The file systems whose free space tbx reads, in the order they are tried. */
const READERS: Array<{ name: string; read: (fh: FileHandle, base: number, length: number) => Promise<FreeSpace> }> = [
  { name: 'ext4', read: ext4FreeSpace },
  { name: 'ntfs', read: ntfsFreeSpace },
];

/** Which parts of a disk a backup reads. */
export interface DiskUsage {
  mode: ImagingMode;
  /** What was understood (or why not), for the index and the log. */
  layout: string[];
  /** Sorted, 4 KiB-aligned ranges `[start, length]` to read; the rest is free space. */
  used: Array<[number, number]>;
  freeBytes: number;
}

/**
 * Decide what to read. With `skipFree`, every ext2/3/4 or NTFS file system found on the whole
 * disk or in an MBR/GPT partition contributes its free blocks, which are neither read nor stored;
 * anything else (partition tables, unknown or inconsistent file systems) is read whole. The
 * mode is `used-blocks` when at least one file system was understood, else `whole-disk`.
 */
export async function diskUsage(fh: FileHandle, size: number, skipFree: boolean): Promise<DiskUsage> {
  const whole: DiskUsage = { mode: 'whole-disk', layout: [], used: [[0, size]], freeBytes: 0 };
  if (!skipFree) return { ...whole, layout: ['free-space skipping off'] };
  const free: Array<[number, number]> = [];
  const layout: string[] = [];
  for (const p of await listPartitions(fh, size)) {
    if (p.start % BLOCK !== 0) {
      layout.push(`${p.name}: starts at ${p.start}, not 4 KiB-aligned; read whole`);
      continue;
    }
    const found = await probe(fh, p.start, p.length);
    if (found.ok) {
      layout.push(`${p.name}: ${found.name} at ${p.start}, ${found.freeBytes} bytes free`);
      free.push(...found.free);
      if (p.name === 'disk') break;
    } else if (p.name !== 'disk' || !found.absent) layout.push(`${p.name}: ${found.why}; read whole`);
  }
  if (free.length === 0) return { ...whole, layout: layout.length ? layout : ['no file system understood; read whole'] };
  free.sort((a, b) => a[0] - b[0]);
  const used: Array<[number, number]> = [];
  let pos = 0;
  let freeBytes = 0;
  for (const [s, l] of free) {
    if (s < pos) continue;
    if (s > pos) used.push([pos, s - pos]);
    pos = s + l;
    freeBytes += l;
  }
  if (pos < size) used.push([pos, size - pos]);
  return { mode: 'used-blocks', layout, used, freeBytes };
}

/** The first reader that recognises the file system at `base`, or why none could be used. */
async function probe(fh: FileHandle, base: number, length: number): Promise<(FreeSpace & { ok: true; name: string }) | { ok: false; why: string; absent: boolean }> {
  for (const r of READERS) {
    const fs = await r.read(fh, base, length);
    if (fs.ok) return { ...fs, name: r.name };
    if (!fs.absent) return { ok: false, why: fs.why, absent: false };
  }
  return { ok: false, why: `no file system tbx understands (${READERS.map((r) => r.name).join(', ')})`, absent: true };
}
