import type { FileHandle } from 'node:fs/promises';
import { BLOCK } from './chunker.js';
import type { ImagingMode } from './index-file.js';
import { ext4FreeSpace } from './usage/ext4.js';
import { listPartitions } from './usage/partitions.js';

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
 * Decide what to read. With `skipFree`, every ext2/3/4 file system found on the whole disk or
 * in an MBR/GPT partition contributes its free blocks, which are neither read nor stored;
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
    const fs = await ext4FreeSpace(fh, p.start, p.length);
    if (fs.ok) {
      layout.push(`${p.name}: ext4 at ${p.start}, ${fs.freeBytes} bytes free`);
      free.push(...fs.free);
      if (p.name === 'disk') break;
    } else if (p.name !== 'disk' || fs.why !== 'no ext2/3/4 superblock') layout.push(`${p.name}: ${fs.why}; read whole`);
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
