import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ShareError } from '../lib/errors.js';
import { isIPv4 } from '../lib/hex-ip.js';
import { resolveUnder } from '../lib/safe-path.js';

/** File in the backup share's root proving the share is mounted (the seed's convention). */
export const BACKUP_MARKER = 'testbox-backup';
/** Global log in the backup share's root. */
export const GLOBAL_LOG = 'maintenance.log';
/** Per-box files under `<backup>/<ip>/`, as the seed named them. */
export const BOX_FILES = {
  log: 'maintenance.log',
  output: 'maintenance-output.log',
  info: 'testbox-info.txt',
  infoZip: 'testbox-info.zip',
  diskList: 'disk-devices.lst',
  /** tbx: the agent's last status, written before it reaches git (the spool). */
  status: 'status.yaml',
  /** tbx: present while the agent is still pushing that status to git (JSON with `until`). */
  pushing: '.status-push.json',
} as const;

/** `<backup>/<dotted-ip>`: a box's directory on the backup share. */
export function boxDir(backupRoot: string, ip: string): string {
  if (!isIPv4(ip)) throw new ShareError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return resolveUnder(backupRoot, ip);
}

/** Throw a {@link ShareError} unless `root` is a mounted backup share (marker file present). */
export async function assertBackupShare(root: string): Promise<void> {
  const ok = await access(join(root, BACKUP_MARKER)).then(() => true, () => false);
  if (!ok) throw new ShareError(`backup share ${root} has no ${BACKUP_MARKER} marker file: is it mounted? (create it with 'tbx init site' or 'touch ${join(root, BACKUP_MARKER)}')`);
}

/**
 * Throw a {@link ShareError} unless `root` looks like a TFTP share: an existing directory
 * holding `pxelinux.0` or `pxelinux.cfg/`. An empty mount point must not receive configs.
 */
export async function assertTftpShare(root: string): Promise<void> {
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new ShareError(`TFTP root ${root} is not a directory`);
  const has = async (p: string) => access(join(root, p)).then(() => true, () => false);
  if (!(await has('pxelinux.0')) && !(await has('pxelinux.cfg'))) {
    throw new ShareError(`TFTP root ${root} has neither pxelinux.0 nor pxelinux.cfg/: is it mounted? (set it up with 'tbx init site')`);
  }
}
