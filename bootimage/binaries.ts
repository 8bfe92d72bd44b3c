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
  await copyInto(file, root, as);
  return [as, ...(await stageLibraries(file, root))];
}

/**
 * The shared libraries `file` needs, copied into the staging root at their paths (the file
 * itself is already there, e.g. a native addon inside a copied npm package). Returns the
 * libraries copied: those the root did not hold yet.
 */
export async function stageLibraries(file: string, root: string): Promise<string[]> {
  const copied: string[] = [];
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
 * git and what the agent's fetch and push need from `git --exec-path`: its symlinks (the
 * builtins such as git-upload-pack) and the remote helpers (git-remote-http for https
 * fleets) with their libraries. git://, file:// and ssh-less transports are built in; the
 * other helper programs (http-backend, imap-send, daemon, shell scripts, ...) are left out.
 */
export async function stageGit(root: string): Promise<void> {
  const git = await which('git');
  await stageBinary(git, root, '/usr/bin/git');
  const execPath = (await execa('git', ['--exec-path'])).stdout.trim();
  await mkdir(join(root, execPath), { recursive: true });
  for (const name of await readdir(execPath)) {
    const src = join(execPath, name);
    const st = await lstat(src);
    if (name === 'git') await symlink('/usr/bin/git', join(root, src));
    else if (st.isSymbolicLink()) await symlink(await readlink(src), join(root, src));
    else if (st.isFile() && st.mode & constants.S_IXUSR && name.startsWith('git-remote-')) await stageBinary(src, root, src);
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
