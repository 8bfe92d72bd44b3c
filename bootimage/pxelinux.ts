import { access, copyFile, cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BootImageError } from './errors.js';

/** Where Debian's `pxelinux` and `syslinux-common` packages put the BIOS files. */
export const DEBIAN_PXELINUX = { pxelinux: '/usr/lib/PXELINUX/pxelinux.0', modules: '/usr/lib/syslinux/modules/bios' };

/**
 * Put PXELINUX into a TFTP root as the seed document describes (BIOS only):
 * `pxelinux.0` and `ldlinux.c32` in the root, the BIOS modules in `bios/` (the configs
 * say `PATH bios`), and an empty `pxelinux.cfg/`. `tbx reconcile` writes
 * `pxelinux.cfg/default` when it is missing. Returns the files copied.
 */
export async function installPxelinux(tftpRoot: string, from = DEBIAN_PXELINUX): Promise<string[]> {
  for (const p of [from.pxelinux, join(from.modules, 'ldlinux.c32')]) {
    if (!(await access(p).then(() => true, () => false))) throw new BootImageError(`${p} is missing: apt-get install pxelinux syslinux-common`);
  }
  await mkdir(join(tftpRoot, 'pxelinux.cfg'), { recursive: true });
  await copyFile(from.pxelinux, join(tftpRoot, 'pxelinux.0'));
  await copyFile(join(from.modules, 'ldlinux.c32'), join(tftpRoot, 'ldlinux.c32'));
  await cp(from.modules, join(tftpRoot, 'bios'), { recursive: true });
  return ['pxelinux.0', 'ldlinux.c32', 'bios/'];
}
