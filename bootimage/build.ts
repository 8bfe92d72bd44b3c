import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Logger } from '../lib/logger.js';
import { packageRoot } from '../lib/package-root.js';
import { stageBinary, stageBusybox, stageGit, stageLibraries, which } from './binaries.js';
import { bundleAgent } from './bundle.js';
import { fetchKernel } from './kernel.js';
import { stageModules } from './modules.js';
import { pruneImages } from './image-cache.js';
import { packInitramfs, treeDigest } from './pack.js';

/** What `tbx bootimage build` needs. */
export interface BuildOptions {
  /** Directory that receives `vmlinuz` and `initrd.img` (e.g. `<tftp-root>/maintenance-boot`). */
  out: string;
  /** Where downloaded kernel packages and packed images are kept between builds. */
  cacheDir: string;
  /** Versioned kernel package; default: what linux-image-amd64 depends on. */
  kernelPackage?: string;
  /** A static busybox (default: `busybox` on PATH, from busybox-static). */
  busybox?: string;
  /** The Node binary to ship (default: the one running tbx). */
  node?: string;
  log: Logger;
}

/** What was built. */
export interface BuildResult {
  kernelPackage: string;
  kernelVersion: string;
  vmlinuz: string;
  initrd: string;
  vmlinuzBytes: number;
  initrdBytes: number;
  /** Bytes of the unpacked initramfs. */
  stagedBytes: number;
  modules: number;
  agentBundleBytes: number;
  nativePackages: string[];
  /** True when an identical initramfs was in the cache and was not packed again. */
  fromCache: boolean;
  seconds: number;
}

/**
 * Build the maintenance image: the Debian kernel (downloaded, not installed) and a
 * one-file initramfs holding busybox, the NIC/disk/NFS/9p modules, Node and its
 * libraries, git, the tbx bundle and `/init` (bootimage/init.sh). Writes `vmlinuz` and
 * `initrd.img` into `out`, each replaced atomically.
 */
export async function buildBootImage(o: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  await mkdir(o.cacheDir, { recursive: true });
  const kernel = await fetchKernel(o.cacheDir, o.kernelPackage);
  o.log.info({ kernel: kernel.package }, 'kernel ready');
  const stage = await mkdtemp(join(o.cacheDir, '.stage-'));
  try {
    for (const d of ['dev', 'proc', 'sys', 'tmp', 'run', 'root', 'etc', 'mnt/testbox-backup', 'mnt/testbox-tftp']) await mkdir(join(stage, d), { recursive: true });
    await stageBusybox(o.busybox ?? (await which('busybox')), stage);
    const modules = await stageModules(kernel.modulesDir, kernel.version, stage);
    await stageBinary(o.node ?? process.execPath, stage, '/usr/bin/node');
    await stageGit(stage);
    const bundle = await bundleAgent(join(stage, 'opt', 'tbx'));
    // Native addons load their libraries at require time (blake-hash needs librt, zstd-napi libstdc++).
    for (const addon of await findFiles(join(stage, 'opt', 'tbx', 'node_modules'), '.node')) await stageLibraries(addon, stage);
    await installScript(join(packageRoot(), 'bootimage', 'init.sh'), join(stage, 'init'));
    await installScript(join(packageRoot(), 'bootimage', 'udhcpc.sh'), join(stage, 'etc', 'udhcpc.script'));
    await writeEtc(stage);
    o.log.info({ modules, bundleBytes: bundle.bytes, native: bundle.nativePackages }, 'initramfs staged');

    const digest = await treeDigest(stage);
    const cached = join(o.cacheDir, 'images', `initrd-${digest.slice(0, 24)}.img`);
    // Touching the image claims it: pruning (here or in a concurrent build) spares recent ones.
    const now = new Date();
    const fromCache = await utimes(cached, now, now).then(() => true, () => false);
    if (!fromCache) {
      await mkdir(join(o.cacheDir, 'images'), { recursive: true });
      // A temp name of our own: concurrent builds may pack the same image into one cache.
      const tmp = `${cached}.tmp-${process.pid}`;
      try {
        await packInitramfs(stage, tmp);
        await rename(tmp, cached);
      } finally {
        await rm(tmp, { force: true });
      }
    }
    await mkdir(o.out, { recursive: true });
    await replaceFile(kernel.vmlinuz, join(o.out, 'vmlinuz'));
    await replaceFile(cached, join(o.out, 'initrd.img'));
    await pruneImages(join(o.cacheDir, 'images'));
    const du = await execa('du', ['-sb', stage]);
    return {
      kernelPackage: kernel.package,
      kernelVersion: kernel.version,
      vmlinuz: join(o.out, 'vmlinuz'),
      initrd: join(o.out, 'initrd.img'),
      vmlinuzBytes: (await stat(kernel.vmlinuz)).size,
      initrdBytes: (await stat(join(o.out, 'initrd.img'))).size,
      stagedBytes: Number(du.stdout.split(/\s/)[0]),
      modules,
      agentBundleBytes: bundle.bytes,
      nativePackages: bundle.nativePackages,
      fromCache,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function installScript(src: string, dst: string): Promise<void> {
  await copyFile(src, dst);
  await chmod(dst, 0o755);
}

/** The few /etc files busybox, git and Node look for; CA certificates when the host has them (https fleets). */
async function writeEtc(root: string): Promise<void> {
  await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(root, 'etc', 'group'), 'root:x:0:\n');
  await writeFile(join(root, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  await writeFile(join(root, 'etc', 'resolv.conf'), '');
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  if (existsSync(ca)) {
    await mkdir(join(root, 'etc', 'ssl', 'certs'), { recursive: true });
    await copyFile(ca, join(root, 'etc', 'ssl', 'certs', 'ca-certificates.crt'));
  }
}

/** Copy to a temp name beside `dst`, then rename: a box booting meanwhile gets the old or the new file, never half. */
async function replaceFile(src: string, dst: string): Promise<void> {
  const tmp = `${dst}.tmp-${process.pid}`;
  await copyFile(src, tmp);
  await chmod(tmp, 0o644);
  await rename(tmp, dst);
}

/** Every file under `dir` whose name ends with `suffix`. */
async function findFiles(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => join(e.parentPath ?? e.path, e.name));
}
