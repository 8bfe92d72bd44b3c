import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Packed images kept in the cache: every tbx upgrade makes a new one. */
export const KEEP_IMAGES = 3;
/** A packed image used this recently is never deleted: a concurrent build may have just claimed it. */
export const SPARE_MS = 3_600_000;

/**
 * Delete all but the `keep` most recently used packed images (`initrd-<digest>.img`, used =
 * mtime, which a build touches when it takes an image), sparing any used in the last
 * `spareMs`. Files that vanish meanwhile (another build pruning too) are skipped.
 */
export async function pruneImages(dir: string, keep = KEEP_IMAGES, spareMs = SPARE_MS): Promise<void> {
  const images: { name: string; used: number }[] = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).filter((n) => /^initrd-[0-9a-f]+\.img$/.test(n))) {
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (st) images.push({ name, used: st.mtimeMs });
  }
  images.sort((a, b) => b.used - a.used);
  for (const old of images.slice(keep).filter((i) => Date.now() - i.used > spareMs)) await rm(join(dir, old.name), { force: true });
}
