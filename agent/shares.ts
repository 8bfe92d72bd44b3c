import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { BACKUP_MARKER } from '../share/layout.js';
import { AgentFailure, EXIT } from './exit-codes.js';
import type { SeedLog } from './seed-log.js';

/** How the agent waits for a share that is not there yet. */
export interface ShareWait {
  /** Pause between the two mount attempts (the seed waits 15 s). */
  waitMs: number;
  /** Try `mount <dir>` (fstab noauto entries, as in the seed's NFS root). */
  tryMount: boolean;
  log: SeedLog;
}

/**
 * Make sure the backup share is mounted (seed step 3): the marker file proves it. If it is
 * missing, try `mount`, wait, try again, then fail with code 11.
 */
export async function ensureBackupShare(root: string, wait: ShareWait): Promise<void> {
  await ensureShare(root, BACKUP_MARKER, wait, EXIT.backupShare, 'Backup directory is not mounted.');
}

/** Make sure the TFTP share is mounted: `pxelinux.0` in its root, else code 12. */
export async function ensureTftpShare(root: string, wait: ShareWait): Promise<void> {
  await ensureShare(root, 'pxelinux.0', wait, EXIT.tftpShare, 'TFTP share not mounted or missing pxelinux.0 in the root.');
}

async function ensureShare(root: string, probe: string, wait: ShareWait, code: 11 | 12, message: string): Promise<void> {
  const present = () => access(join(root, probe)).then(() => true, () => false);
  if (await present()) return;
  for (const delay of [0, wait.waitMs]) {
    if (delay) {
      wait.log.console('err', `Retrying mounting '${root}' in ${Math.round(delay / 1000)} seconds...`);
      await new Promise((r) => setTimeout(r, delay));
    }
    if (wait.tryMount) await execa('mount', [root], { reject: false, timeout: 60_000 });
    if (await present()) return;
  }
  throw new AgentFailure(code, `${message} (${join(root, probe)} not found)`);
}
