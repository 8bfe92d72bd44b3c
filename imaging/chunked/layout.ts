import { dirname, join } from 'node:path';
import { resolveUnder } from '../../lib/safe-path.js';

/** The shared chunk store's directory in the backup share's root. */
export const STORE_DIR = '.tbx-chunks';
/** Where a box's generations live, under its share directory: `images/<dev>/<gen>.tbxi`. */
export const IMAGES_DIR = 'images';
/** Generation index file suffix. */
export const INDEX_SUFFIX = '.tbxi';

/** Paths of the chunk store shared by every box of one backup share. */
export interface StorePaths {
  root: string;
  packs: string;
  locks: string;
}

/** The chunk store of the share that holds box directory `boxDir` (`<backup>/<ip>`). */
export function storeFor(boxDir: string): StorePaths {
  return storeAt(join(dirname(boxDir), STORE_DIR));
}

/** The chunk store rooted at `root`. */
export function storeAt(root: string): StorePaths {
  return { root, packs: join(root, 'packs'), locks: join(root, 'locks') };
}

/** `packs/<ab>/<id>.pack` and its `.pidx`. */
export function packPaths(store: StorePaths, id: string): { dir: string; pack: string; index: string } {
  const dir = join(store.packs, id.slice(0, 2));
  return { dir, pack: join(dir, `${id}.pack`), index: join(dir, `${id}.pidx`) };
}

/** `<boxDir>/images/<dev>`: the generations of one disk. */
export function deviceDir(boxDir: string, device: string): string {
  return resolveUnder(boxDir, IMAGES_DIR, device);
}

/** File name of generation `n`: zero-padded so names sort by number. */
export function generationName(n: number): string {
  return `${String(n).padStart(8, '0')}${INDEX_SUFFIX}`;
}

/** The ref (relative to the box directory) of generation `n` of `device`. */
export function generationRef(device: string, n: number): string {
  return `${IMAGES_DIR}/${device}/${generationName(n)}`;
}
