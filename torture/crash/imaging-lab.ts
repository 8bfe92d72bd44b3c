import { randomFillSync, randomInt } from 'node:crypto';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageFormat } from '../../imaging/store.js';
import { makeAgentBox, type AgentBox } from '../../test/helpers/agent-box.js';
import { makeTestDisk, sha256File } from '../../test/helpers/disks.js';
import { makeShares, type Shares } from '../../test/helpers/shares.js';
import { makeChecker, type Checker } from '../lib/image-checks.js';

/** One simulated box with its shares, a checker disk, and what the suite knows about its images. */
export interface Lab {
  format: ImageFormat;
  shares: Shares;
  box: AgentBox;
  boxDir: string;
  checker: Checker;
  sizeMiB: number;
  /** SHA-256 of the disk content the newest good image holds (undefined: no image yet). */
  imageHash?: string;
}

/** A lab under `root` whose box has one disk `sda` of `sizeMiB` with realistic content (text, random, zeros). */
export async function makeLab(root: string, format: ImageFormat, sizeMiB: number): Promise<Lab> {
  await mkdir(root, { recursive: true });
  const shares = await makeShares(root);
  const box = await makeAgentBox(root, 'tb-crash', '10.3.0.10', { sda: sizeMiB });
  await makeTestDisk(box.disk('sda'), sizeMiB << 20, `crash-${format}`);
  const checker = await makeChecker(join(root, 'checker'), box);
  return { format, shares, box, boxDir: join(shares.backup, box.ip), checker, sizeMiB };
}

/**
 * Change the disk as a week of tests would: overwrite about `fraction` of its MiB with new
 * random data (never the first MiB, the boot sector stays). Returns the new SHA-256.
 */
export async function changeDisk(lab: Lab, fraction: number): Promise<string> {
  const path = lab.box.disk('sda');
  const fh = await open(path, 'r+');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let mib = 1; mib < lab.sizeMiB; mib++) {
      if (Math.random() >= fraction) continue;
      randomFillSync(buf);
      // Partly compressible, like real files: the second half is a repeated pattern.
      buf.fill(buf.subarray(0, 4096), buf.length / 2);
      await fh.write(buf, 0, buf.length, mib << 20);
    }
  } finally {
    await fh.close();
  }
  return sha256File(path);
}

/** Break the box's disk before a restore: all of it (random), or a few stretches (a crashed test). Returns its SHA-256. */
export async function breakDisk(lab: Lab, whole: boolean): Promise<string> {
  if (!whole) return changeDisk(lab, 0.25);
  const path = lab.box.disk('sda');
  const fh = await open(path, 'r+');
  try {
    const junk = randomFillSync(Buffer.alloc(1 << 20));
    for (let mib = 0; mib < lab.sizeMiB; mib++) await fh.write(junk, 0, junk.length, mib << 20);
  } finally {
    await fh.close();
  }
  return sha256File(path);
}

/** Remove every image of the box and the whole chunk store, so the next `backup` starts from nothing. */
export async function dropImages(lab: Lab): Promise<void> {
  await rm(join(lab.shares.backup, '.tbx-chunks'), { recursive: true, force: true });
  await rm(join(lab.boxDir, 'images'), { recursive: true, force: true });
  for (const name of await readdir(lab.boxDir).catch(() => [] as string[])) {
    if (/(^|\.)sda(\.raw)?\.gz/.test(name)) await rm(join(lab.boxDir, name), { force: true });
  }
  lab.imageHash = undefined;
}

/** A random delay in [0, ms). */
export function randomDelay(ms: number): number {
  return randomInt(Math.max(1, Math.floor(ms)));
}
