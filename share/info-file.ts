import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOX_FILES, boxDir } from './layout.js';

/**
 * Disk sizes a box last reported in `<backup>/<ip>/testbox-info.txt` (the `fdisk -l` part:
 * `Disk /dev/sda: 40 GiB, 42949672960 bytes, ...`), by device. Empty when unknown.
 */
export async function reportedDiskSizes(backupRoot: string, ip: string): Promise<Map<string, number>> {
  const text = await readFile(join(boxDir(backupRoot, ip), BOX_FILES.info), 'utf8').catch(() => '');
  const sizes = new Map<string, number>();
  for (const m of text.matchAll(/^Disk \/dev\/([a-z0-9]+): [^,\n]*, (\d+) bytes/gm)) sizes.set(m[1]!, Number(m[2]));
  return sizes;
}
