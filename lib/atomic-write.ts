import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { UnsafePathError } from './errors.js';
import { assertNoSymlinks } from './safe-path.js';

/** Names of the temp files {@link writeFileAtomic} creates (`.<name>.tmp-<pid>-<hex>`). */
export const TEMP_FILE = /^\.(.+)\.tmp-\d+-[0-9a-f]{8}$/;

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode for the new file (default 0644: PXE files must be world-readable for tftpd). */
  mode?: number;
  /** Share root: every component below it must be a real directory, never a symlink. */
  root?: string;
}

/**
 * Write `data` to `path` so that readers see either the old file or the whole new one:
 * temp file in the same directory (O_EXCL|O_NOFOLLOW), fsync, rename, fsync the directory.
 * Refuses to replace a symlink or to write through one below `root`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  if (options.root !== undefined) await assertNoSymlinks(options.root, path);
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isSymbolicLink()) throw new UnsafePathError(`refusing to replace symlink ${path}`);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fh = await open(tmp, flags, options.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/**
 * Remove `path` if it is a regular file, refusing symlinks; fsync the directory after.
 * Returns false when the file was already gone.
 */
export async function removeFile(path: string, options: { root?: string } = {}): Promise<boolean> {
  if (options.root !== undefined) await assertNoSymlinks(options.root, dirname(path));
  const st = await lstat(path).catch(() => undefined);
  if (!st) return false;
  if (!st.isFile()) throw new UnsafePathError(`refusing to remove ${path}: not a regular file`);
  await unlink(path);
  await syncDir(dirname(path));
  return true;
}

/** fsync a directory so a rename or unlink in it is durable; some file systems refuse, which is fine. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // NFS and some FUSE file systems reject fsync on directories; the rename is still atomic.
  } finally {
    await fh.close();
  }
}
