import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from '../../lib/atomic-write.js';
import { IMAGES_DIR, INDEX_SUFFIX, deviceDir, generationRef } from './layout.js';
import { withGeneration } from './generation-file.js';
import type { GenerationHeader } from './index-file.js';

/** One generation as found on the share. */
export interface GenerationInfo {
  device: string;
  generation: number;
  /** Path relative to the box directory. */
  ref: string;
  path: string;
  header: GenerationHeader;
}

/** A generation whose index cannot be read (checksum, truncation, format): never an image. */
export interface DamagedGeneration {
  device: string;
  generation: number;
  ref: string;
  reason: string;
}

/** Every readable generation of every disk of a box, oldest first per device. */
export async function listGenerations(boxDir: string): Promise<GenerationInfo[]> {
  return (await scanGenerations(boxDir)).good;
}

/**
 * Every generation of every disk of a box, oldest first per device: the readable ones, and
 * the damaged ones with why. A damaged index is not an image, but it must not be forgotten
 * either: a restore of "the newest" would otherwise take an older image without saying so.
 */
export async function scanGenerations(boxDir: string): Promise<{ good: GenerationInfo[]; damaged: DamagedGeneration[] }> {
  const out: GenerationInfo[] = [];
  const damaged: DamagedGeneration[] = [];
  for (const device of (await readdir(join(boxDir, IMAGES_DIR)).catch(() => [] as string[])).sort()) {
    if (!/^[a-z][a-z0-9]*$/.test(device)) continue;
    const dir = deviceDir(boxDir, device);
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
      const m = /^(\d{8})\.tbxi$/.exec(name);
      if (!m) continue;
      const path = join(dir, name);
      const generation = Number(m[1]);
      const ref = generationRef(device, generation);
      try {
        const header = await withGeneration(path, async (g) => g.header);
        out.push({ device, generation, ref, path, header });
      } catch (err) {
        damaged.push({ device, generation, ref, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return { good: out, damaged };
}

/**
 * Keep the newest `keep` generations of `device` and delete the older index files. Chunks
 * they alone used stay in the store until `tbx image gc`. Returns the deleted generations.
 */
export async function pruneGenerations(boxDir: string, device: string, keep: number): Promise<number[]> {
  const dir = deviceDir(boxDir, device);
  const gens = (await readdir(dir).catch(() => [] as string[]))
    .map((n) => new RegExp(`^(\\d{8})${INDEX_SUFFIX.replace('.', '\\.')}$`).exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const drop = gens.slice(0, Math.max(0, gens.length - Math.max(1, keep)));
  for (const g of drop) await unlink(join(dir, generationRef(device, g).split('/').pop()!));
  if (drop.length) await syncDir(dir);
  return drop;
}
