import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Every file under `root` with a digest of its content (symlinks by target): compare before and after. */
export async function hashTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      const st = await lstat(p);
      if (st.isSymbolicLink()) out[relative(root, p)] = `link:${await readlink(p)}`;
      else if (st.isDirectory()) {
        out[`${relative(root, p)}/`] = 'dir';
        await walk(p);
      } else out[relative(root, p)] = createHash('sha256').update(await readFile(p)).digest('hex');
    }
  };
  await walk(root);
  return out;
}
