import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, readlink, realpath, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { BootImageError } from './errors.js';

/**
 * Copy an executable or library into the staging root at the same path, plus every shared
 * library `ldd` lists for it (and the dynamic loader). Symlinked names are copied as the
 * file they point to, so the image has no dangling links. Returns the files copied.
 */
export async function stageBinary(file: string, root: string, as = file): Promise<string[]> {
  const copied: string[] = [];
  await copyInto(file, root, as);
  copied.push(as);
  for (const lib of await sharedLibraries(file)) {
    if (await exists(join(root, lib))) continue;
    await copyInto(lib, root, lib);
    copied.push(lib);
  }
  return copied;
}

/** The absolute paths of the shared libraries `file` needs, from `ldd` (none for a static binary). */
export async function sharedLibraries(file: string): Promise<string[]> {
  const r = await execa('ldd', [file], { reject: false });
  if (r.exitCode !== 0) {
    if (/not a dynamic executable/.test(`${r.stdout}${r.stderr}`)) return [];
    throw new BootImageError(`ldd ${file} failed: ${r.stderr || r.stdout}`);
  }
  const missing = /(\S+) => not found/.exec(r.stdout);
  if (missing) throw new BootImageError(`${file} needs ${missing[1]}, which is not installed`);
  return [...r.stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
}

/** Busybox (a static build) at /bin/busybox with a symlink for each applet it provides. */
export async function stageBusybox(busybox: string, root: string): Promise<number> {
  const libs = await sharedLibraries(busybox);
  if (libs.length) throw new BootImageError(`${busybox} is not static (it needs ${libs.join(', ')}); install busybox-static`);
  await copyInto(busybox, root, '/bin/busybox');
  const applets = (await execa(busybox, ['--list-full'])).stdout.split('\n').filter(Boolean);
  for (const applet of applets) {
    const path = join(root, applet);
    if (await exists(path)) continue;
    await mkdir(dirname(path), { recursive: true });
    await symlink('/bin/busybox', path);
  }
  return applets.length;
}

/**
 * git, its helpers in `git --exec-path` (hard links to git become symlinks; separate
 * programs such as git-remote-http are copied with their libraries) and the templates it
 * clones with.
 */
export async function stageGit(root: string): Promise<void> {
  const git = await which('git');
  await stageBinary(git, root, '/usr/bin/git');
  const execPath = (await execa('git', ['--exec-path'])).stdout.trim();
  const gitId = await lstat(await realpath(git));
  for (const name of await readdir(execPath)) {
    const src = join(execPath, name);
    const st = await lstat(src);
    const dst = join(execPath, name);
    await mkdir(join(root, execPath), { recursive: true });
    if (st.isSymbolicLink()) {
      await symlink(await readlink(src), join(root, dst));
    } else if (st.isFile() && st.ino === gitId.ino && st.dev === gitId.dev) {
      await symlink('/usr/bin/git', join(root, dst));
    } else if (st.isFile() && st.mode & constants.S_IXUSR) {
      // Shell and perl helpers (git-instaweb, git-svn, ...) are of no use to the agent.
      const head = await execa('head', ['-c', '4', src]);
      if (head.stdout.startsWith('\x7fELF')) await stageBinary(src, root, dst);
    }
  }
}

/** Copy `src` (following links) to `<root><dest>`, keeping its mode. */
async function copyInto(src: string, root: string, dest: string): Promise<void> {
  const target = join(root, dest);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(await realpath(src), target);
  await chmod(target, (await lstat(await realpath(src))).mode & 0o7777);
}

/** The absolute path of a command on PATH. */
export async function which(cmd: string): Promise<string> {
  const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', cmd], { reject: false });
  if (r.exitCode !== 0 || !r.stdout.trim().startsWith('/')) throw new BootImageError(`${cmd} is not installed (not on PATH)`);
  return r.stdout.trim();
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}
