import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isIPv4 } from '../../lib/hex-ip.js';
import { IMAGES_DIR } from './layout.js';

/** The box directories (dotted IPs) of a backup share. */
export async function boxDirs(backupRoot: string): Promise<string[]> {
  return (await readdir(backupRoot).catch(() => [] as string[])).filter(isIPv4).sort();
}

/** The paths of every generation index of the given boxes (default: all boxes of the share). */
export async function listGenerationFiles(backupRoot: string, ips?: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const ip of ips ?? (await boxDirs(backupRoot))) {
    const images = join(backupRoot, ip, IMAGES_DIR);
    for (const device of (await readdir(images).catch(() => [] as string[])).sort()) {
      for (const name of (await readdir(join(images, device)).catch(() => [] as string[])).sort()) {
        if (/^\d{8}\.tbxi$/.test(name)) out.push(join(images, device, name));
      }
    }
  }
  return out;
}
