import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Make a file-backed disk with recognisable content: an MBR with a boot signature, a label
 * block, text and pseudo-random data (from `seed`, so runs are reproducible) and long zero
 * runs, like a real disk with an OS and free space. Also writes its `/sys/block` entry.
 */
export async function makeDisk(devDir: string, sysBlock: string, device: string, sizeBytes: number, seed: string): Promise<string> {
  await mkdir(devDir, { recursive: true });
  await mkdir(join(sysBlock, device, 'device'), { recursive: true });
  const path = join(devDir, device);
  const fh = await open(path, 'w');
  try {
    await fh.truncate(sizeBytes);
    const mbr = Buffer.alloc(512);
    mbr.write(`tbx demo disk ${seed}`, 0);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    await fh.write(mbr, 0, 512, 0);
    const text = Buffer.from(`This is ${seed}. Tests break disks; tbx puts them back.\n`.repeat(2048));
    await fh.write(text, 0, text.length, 1 << 20);
    let block = createHash('sha256').update(seed).digest();
    const random = Buffer.alloc(1 << 20);
    for (let off = 0; off < random.length; off += 32) {
      block = createHash('sha256').update(block).digest();
      block.copy(random, off);
    }
    for (let mib = 4; mib < sizeBytes / (1 << 20) - 1; mib += 7) await fh.write(random, 0, random.length, mib * (1 << 20));
  } finally {
    await fh.close();
  }
  await writeFile(join(sysBlock, device, 'size'), `${sizeBytes / 512}\n`);
  await writeFile(join(sysBlock, device, 'removable'), '0\n');
  await writeFile(join(sysBlock, device, 'device', 'model'), 'TBX DEMO DISK\n');
  await writeFile(join(sysBlock, device, 'device', 'serial'), `${createHash('sha256').update(`${seed}/serial`).digest('hex').slice(0, 12)}\n`);
  return path;
}

/** Overwrite `count` 64 KiB stretches of a disk with garbage, as a crashed test would. */
export async function breakDisk(path: string, count: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    const junk = Buffer.alloc(64 * 1024, 0xde);
    for (let i = 0; i < count; i++) await fh.write(junk, 0, junk.length, Math.floor(((i + 1) * size) / (count + 2)) & ~0xffff);
    await fh.write(Buffer.alloc(512), 0, 512, 0); // the boot sector too: the box no longer boots
  } finally {
    await fh.close();
  }
}

/** SHA-256 of a whole file. */
export async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const b of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(b as Buffer);
  return h.digest('hex');
}
