import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { BootImageError } from './errors.js';

/** Every path under `root`, sorted, relative and `./`-prefixed as cpio wants them. */
async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      out.push(`./${relative(root, p)}`);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(root);
  return out;
}

/**
 * A digest of the staged tree: every path with its type, mode and content (or link
 * target). Two stagings with the same digest pack into the same initramfs, so it keys the
 * cache of packed images.
 */
export async function treeDigest(root: string): Promise<string> {
  const h = createHash('sha256');
  for (const rel of await listTree(root)) {
    const p = join(root, rel);
    const st = await lstat(p);
    h.update(`${rel}\0${st.mode.toString(8)}\0`);
    if (st.isSymbolicLink()) h.update(`-> ${await readlink(p)}\0`);
    else if (st.isFile()) for await (const b of createReadStream(p, { highWaterMark: 1 << 20 })) h.update(b as Buffer);
  }
  return h.digest('hex');
}

/**
 * Pack `root` into a gzip-compressed newc cpio archive at `out` (the initramfs format the
 * kernel unpacks): `cpio -o -H newc` owned by root, then `gzip -n`, with every stage's exit
 * status checked. Returns the archive's size.
 */
export async function packInitramfs(root: string, out: string): Promise<number> {
  const list = (await listTree(root)).join('\0') + '\0';
  try {
    // buffer: false: the archive streams into gzip and must not be collected in memory.
    await execa('cpio', ['--null', '--create', '--format=newc', '--owner=0:0', '--reproducible', '--quiet'], { cwd: root, input: list, buffer: false })
      .pipe('gzip', ['-6', '-n'], { stdout: { file: out } });
  } catch (err) {
    // execa's message can hold binary output; keep the first line only.
    throw new BootImageError(`packing the initramfs into ${out} failed (cpio | gzip)`, { cause: String((err as Error).message).split('\n')[0] });
  }
  return (await stat(out)).size;
}
