import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskTarget } from '../imaging/store.js';
import { BOX_FILES } from '../share/layout.js';
import { AgentFailure, EXIT } from './exit-codes.js';
import type { SeedLog } from './seed-log.js';

/** Whole-disk names the agent accepts (the schema's pattern): the seed's sd* and hd*, NVMe, virtio, Xen and MMC. */
const DEVICE = /^(sd[a-z]{1,2}|hd[a-z]|vd[a-z]{1,2}|xvd[a-z]{1,2}|nvme\d{1,3}n\d{1,3}|mmcblk\d{1,3})$/;

/** Disks found in /sys/block but acted on only when listed: SD cards and eMMC. */
const LISTED_ONLY = /^mmcblk/;

/** A /sys/block entry whose device sits behind a USB controller (its sysfs path has a usbN node). */
const USB_PATH = /\/usb\d+\//;

/** Where the agent looks for disks; tests point these at plain directories. */
export interface DiskPaths {
  sysBlock: string;
  devDir: string;
}

/**
 * The disks to act on (seed step 8): the names in `<ip>/disk-devices.lst` when it exists
 * (empty: code 17), else every `/sys/block` entry that is a whole sd/hd/nvme/vd disk, not
 * removable, not on USB and not an SD/eMMC card (none: code 17): a restore must never land
 * on a stick someone left plugged in. A name that is not a plain device name is refused,
 * never resolved as a path.
 */
export async function listDisks(boxDir: string, paths: DiskPaths, log: SeedLog): Promise<string[]> {
  const listed = await readFile(join(boxDir, BOX_FILES.diskList), 'utf8').catch(() => null);
  if (listed !== null) {
    const names = listed.split(/\s+/).filter(Boolean);
    if (names.length === 0) throw new AgentFailure(EXIT.noDisks, 'No block devices found via disk-devices.lst.');
    const bad = names.filter((n) => !DEVICE.test(n));
    if (bad.length) throw new AgentFailure(EXIT.noDisks, `disk-devices.lst names ${bad.map((b) => JSON.stringify(b)).join(', ')}, which are not whole-disk device names`);
    log.info(`disk-devices.lst: MY_BLOCK_DEVS=${names.join(' ')}`);
    return names;
  }
  const names: string[] = [];
  for (const name of (await readdir(paths.sysBlock).catch(() => [] as string[])).sort()) {
    if (!DEVICE.test(name)) {
      log.info(`Ignoring /sys/block/${name}`);
      continue;
    }
    const why = await notByDefault(paths.sysBlock, name);
    if (why) {
      log.info(`Ignoring /sys/block/${name}: ${why} (list it in disks: to include it)`);
      continue;
    }
    names.push(name);
  }
  if (names.length === 0) throw new AgentFailure(EXIT.noDisks, 'No block devices found via /sys/block.');
  log.info(`/sys/block: MY_BLOCK_DEVS=${names.join(' ')}`);
  return names;
}

/** Why a disk found in /sys/block is skipped unless listed, or undefined when it is a fixed disk. */
async function notByDefault(sysBlock: string, name: string): Promise<string | undefined> {
  if (LISTED_ONLY.test(name)) return 'SD/eMMC card';
  if ((await readFile(join(sysBlock, name, 'removable'), 'utf8').catch(() => '0')).trim() === '1') return 'removable';
  const where = await realpath(join(sysBlock, name)).catch(() => '');
  if (USB_PATH.test(where)) return 'USB disk';
  return undefined;
}

/**
 * The disk `name` as a target, or undefined when `/dev/<name>` does not exist or is not a
 * block device (regular files stand in for block devices in tests and the demo).
 * The size comes from `/sys/block/<name>/size` (512-byte sectors), else from the file; model
 * and serial from `/sys/block/<name>/device/`, when present.
 */
export async function openDisk(name: string, paths: DiskPaths): Promise<DiskTarget | undefined> {
  const path = join(paths.devDir, name);
  const st = await lstat(path).catch(() => undefined);
  if (!st || !(st.isBlockDevice() || st.isFile())) return undefined;
  const sectors = Number((await readFile(join(paths.sysBlock, name, 'size'), 'utf8').catch(() => '')).trim());
  const size = Number.isFinite(sectors) && sectors > 0 ? sectors * 512 : st.isFile() ? st.size : (await stat(path)).size;
  const model = (await readFile(join(paths.sysBlock, name, 'device', 'model'), 'utf8').catch(() => '')).trim();
  const serial = (await readFile(join(paths.sysBlock, name, 'device', 'serial'), 'utf8').catch(() => '')).trim();
  return { device: name, path, size, ...(model ? { model } : {}), ...(serial ? { serial } : {}) };
}
