import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeFile, writeFileAtomic } from '../lib/atomic-write.js';
import { ensureDirUnder } from '../lib/safe-path.js';
import { BOX_FILES, boxDir } from './layout.js';

/** Sidecar holding the digest of the disk list tbx last wrote: its ownership record. */
const OWNER_FILE = '.disk-devices.lst.tbx';

/** A box's `disk-devices.lst` on the share, and whether tbx wrote it. */
export interface ObservedDiskList {
  content: string | null;
  ownedByTbx: boolean;
}

/** The exact content tbx writes for `disks` (the seed reads it as whitespace-separated names). */
export function renderDiskList(disks: string[]): string {
  return `${disks.join(' ')}\n`;
}

/** Read `<backup>/<ip>/disk-devices.lst` and its ownership sidecar. */
export async function readDiskList(backupRoot: string, ip: string): Promise<ObservedDiskList> {
  const dir = boxDir(backupRoot, ip);
  const content = await readFile(join(dir, BOX_FILES.diskList), 'utf8').catch(() => null);
  if (content === null) return { content: null, ownedByTbx: false };
  const owner = await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => '');
  return { content, ownedByTbx: owner.trim() === digest(content) };
}

/** Write the disk list, then record that tbx owns it. A crash between the two leaves it foreign, the safe side. */
export async function writeDiskList(backupRoot: string, ip: string, content: string): Promise<void> {
  const dir = await ensureDirUnder(backupRoot, ip);
  await writeFileAtomic(join(dir, BOX_FILES.diskList), content, { root: backupRoot });
  await writeFileAtomic(join(dir, OWNER_FILE), `${digest(content)}\n`, { root: backupRoot });
}

/** Remove a disk list tbx wrote, and its ownership record. */
export async function removeDiskList(backupRoot: string, ip: string): Promise<void> {
  const dir = boxDir(backupRoot, ip);
  await removeFile(join(dir, BOX_FILES.diskList), { root: backupRoot });
  await removeFile(join(dir, OWNER_FILE), { root: backupRoot });
}

function digest(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}
