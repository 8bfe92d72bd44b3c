import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A TFTP root (pxelinux.0 + pxelinux.cfg/) and a backup share (with its marker), as real directories. */
export interface Shares {
  tftp: string;
  backup: string;
  cfg: string;
  state: string;
}

/** Make the two shares under `root`. `withDefault` also writes a hand-made pxelinux.cfg/default. */
export async function makeShares(root: string, options: { withDefault?: boolean } = {}): Promise<Shares> {
  const s = { tftp: join(root, 'tftp'), backup: join(root, 'backup'), cfg: join(root, 'tftp', 'pxelinux.cfg'), state: join(root, 'state') };
  await mkdir(s.cfg, { recursive: true });
  await mkdir(s.backup, { recursive: true });
  await mkdir(s.state, { recursive: true });
  await writeFile(join(s.tftp, 'pxelinux.0'), 'not really pxelinux\n');
  await writeFile(join(s.backup, 'testbox-backup'), '');
  if (options.withDefault) await writeFile(join(s.cfg, 'default'), 'PATH bios\nDEFAULT local-boot\nLABEL local-boot\nLOCALBOOT 0\n');
  return s;
}
