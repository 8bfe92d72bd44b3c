import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isIPv4 } from '../../lib/hex-ip.js';
import { ENTRY, KIND, readGeneration, type GenerationHeader } from './index-file.js';
import { IMAGES_DIR } from './layout.js';
import { keyOf } from './pack-file.js';

/** One generation file of one box, as housekeeping sees it. */
export interface BoxGeneration {
  ip: string;
  device: string;
  generation: number;
  path: string;
  header: GenerationHeader;
  /** Digests (latin1 keys) of the data chunks it references, with their lengths. */
  chunks: Map<string, number>;
}

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

/**
 * Read every generation of the given boxes (default: all boxes of the share). A damaged
 * generation index is an error here: housekeeping that cannot tell what an image references
 * must not guess (gc would delete what it needs).
 */
export async function readAllGenerations(backupRoot: string, ips?: string[]): Promise<BoxGeneration[]> {
  const out: BoxGeneration[] = [];
  for (const path of await listGenerationFiles(backupRoot, ips)) {
    const [ip, , device, name] = relative(backupRoot, path).split(sep);
    const gen = await readGeneration(path);
    const chunks = new Map<string, number>();
    for (let o = 0; o < gen.entries.length; o += ENTRY) {
      if (gen.entries.readUInt32LE(o + 12) === KIND.data) chunks.set(keyOf(gen.entries.subarray(o + 16, o + 48)), gen.entries.readUInt32LE(o + 8));
    }
    out.push({ ip: ip!, device: device!, generation: Number(name!.slice(0, 8)), path, header: gen.header, chunks });
  }
  return out;
}
