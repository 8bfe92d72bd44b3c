import { lstat, mkdir } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { UnsafePathError } from './errors.js';

/** A single path segment tbx may create on a share: no separators, no dot-dot, no NUL, not empty. */
const SEGMENT = /^(?!\.{1,2}$)[^/\\\0]{1,255}$/;

/**
 * Join `segments` under `root`, refusing anything that could leave it: absolute parts,
 * `..`, separators inside a segment or NUL bytes. The repo never decides a path on its own.
 */
export function resolveUnder(root: string, ...segments: string[]): string {
  for (const s of segments) {
    if (!SEGMENT.test(s)) throw new UnsafePathError(`refusing path segment ${JSON.stringify(s)} under ${root}`);
  }
  const full = join(root, ...segments);
  const rel = relative(root, full);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new UnsafePathError(`path ${full} leaves ${root}`);
  return full;
}

/**
 * Assert that every component from `root` (exclusive) down to `path` (inclusive, if it
 * exists) is not a symlink, so a write never lands outside the share through a link.
 * `root` itself may be a symlink or mount point: the admin chose it.
 */
export async function assertNoSymlinks(root: string, path: string): Promise<void> {
  const rel = relative(root, path);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new UnsafePathError(`path ${path} leaves ${root}`);
  let cur = root;
  for (const part of rel.split(sep).filter(Boolean)) {
    cur = join(cur, part);
    const st = await lstat(cur).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (!st) return;
    if (st.isSymbolicLink()) throw new UnsafePathError(`refusing to write through symlink ${cur}`);
  }
}

/** `mkdir -p` of `segments` under `root`, refusing symlinked components. Returns the path. */
export async function ensureDirUnder(root: string, ...segments: string[]): Promise<string> {
  const dir = resolveUnder(root, ...segments);
  await assertNoSymlinks(root, dir);
  await mkdir(dir, { recursive: true });
  return dir;
}
