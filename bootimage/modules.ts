import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BootImageError } from './errors.js';

/**
 * Kernel modules the maintenance image loads at boot, by module name: common NICs and
 * disk controllers, and the file systems for the shares (NFS, 9p). Their dependencies
 * come from modules.dep. Keep this the one list.
 */
export const IMAGE_MODULES = [
  // NICs: QEMU's and common server boards'
  'e1000', 'e1000e', 'igb', 'r8169', 'virtio_net',
  // disks: IDE/SATA, NVMe, virtio, SCSI disks
  'ata_piix', 'ata_generic', 'ahci', 'nvme', 'virtio_pci', 'virtio_blk', 'virtio_scsi', 'sd_mod',
  // shares
  'nfsv3', 'nfsv4', '9pnet_virtio', '9p',
] as const;

/** `crc-t10dif.ko` and `crc_t10dif` are the same module. */
function moduleName(path: string): string {
  return basename(path).replace(/\.ko(\.[a-z]+)?$/, '').replace(/-/g, '_');
}

/**
 * Pure: the module files (paths relative to `lib/modules/<version>`) needed for `wanted`,
 * in an order that loads every dependency before its users. `modulesDep` is the text of
 * depmod's modules.dep (`path: dep dep ...`, each line listing its dependencies so that
 * the last one must load first). Throws on a module the kernel does not have.
 */
export function resolveModuleOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, { path: string; deps: string[] }>();
  for (const line of modulesDep.split('\n')) {
    const [path, rest] = line.split(':');
    if (!path || rest === undefined) continue;
    deps.set(moduleName(path), { path: path.trim(), deps: rest.trim().split(/\s+/).filter(Boolean) });
  }
  const order: string[] = [];
  const add = (path: string) => {
    if (!order.includes(path)) order.push(path);
  };
  for (const name of wanted) {
    const entry = deps.get(name.replace(/-/g, '_'));
    if (!entry) throw new BootImageError(`the kernel has no module ${name} (not in modules.dep)`);
    for (const d of [...entry.deps].reverse()) add(d);
    add(entry.path);
  }
  return order;
}

/**
 * Copy the modules for `wanted` into `<root>/lib/modules/<version>/` (same relative paths)
 * and write `<root>/lib/modules/load-order`, one relative path per line, which /init loads
 * with insmod. Returns the number of module files.
 */
export async function stageModules(modulesDir: string, version: string, root: string, wanted: readonly string[] = IMAGE_MODULES): Promise<number> {
  const order = resolveModuleOrder(await readFile(join(modulesDir, 'modules.dep'), 'utf8'), wanted);
  const target = join(root, 'lib', 'modules', version);
  for (const rel of order) {
    await mkdir(dirname(join(target, rel)), { recursive: true });
    await copyFile(join(modulesDir, rel), join(target, rel));
  }
  await writeFile(join(root, 'lib', 'modules', 'load-order'), order.map((r) => `${version}/${r}`).join('\n') + '\n');
  return order.length;
}
