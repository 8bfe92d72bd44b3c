import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** What the disk's boot sector prints on COM1 before it exits QEMU. */
export const LOCALBOOT_MARKER = 'TBX-E2E-LOCAL-DISK-BOOTED';
/** QEMU's exit status after the boot sector writes 0x21 to isa-debug-exit: (0x21 << 1) | 1. */
export const LOCALBOOT_EXIT_CODE = 67;

/** What the boot sector does after its marker: end QEMU (status 67), or halt and stay up like a booted OS. */
export type OnBoot = 'exit' | 'halt';

/**
 * A real-mode boot sector that prints `marker` on COM1 (port 0x3f8), then either writes
 * 0x21 to QEMU's isa-debug-exit device (iobase 0xf4) so QEMU exits with status 67, or
 * halts with the machine left running (a box that is up, which a reset can reboot).
 * Seeing the marker proves the BIOS booted this disk, i.e. PXELINUX's LOCALBOOT handed over to it.
 */
export function bootSector(marker = LOCALBOOT_MARKER, onBoot: OnBoot = 'exit'): Buffer {
  const code: number[] = [];
  code.push(0xfa, 0xfc); // cli; cld
  code.push(0x31, 0xc0, 0x8e, 0xd8); // xor ax,ax; mov ds,ax
  const siAt = code.length;
  code.push(0xbe, 0, 0); // mov si, message (patched below)
  code.push(0xba, 0xf8, 0x03); // mov dx, 0x3f8
  const loop = code.length;
  code.push(0xac, 0x84, 0xc0); // lodsb; test al,al
  code.push(0x74, 0x03); // jz done
  code.push(0xee); // out dx,al
  code.push(0xeb, (loop - (code.length + 2)) & 0xff); // jmp loop
  if (onBoot === 'exit') code.push(0xba, 0xf4, 0x00, 0xb0, 0x21, 0xee); // done: mov dx,0xf4; mov al,0x21; out dx,al
  code.push(0xf4, 0xeb, 0xfd); // hlt; jmp hlt
  const message = 0x7c00 + code.length;
  code[siAt + 1] = message & 0xff;
  code[siAt + 2] = message >> 8;
  code.push(...Buffer.from(`\r\n${marker}\r\n\0`, 'latin1'));
  if (code.length > 440) throw new RangeError('boot sector code does not fit in 440 bytes');
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector);
  return sector;
}

/**
 * Write a raw disk image of `sizeMiB` whose MBR is {@link bootSector} with one active
 * partition entry, followed by recognisable content: text, pseudo-random data from
 * `seed` (reproducible) and zeros, like a disk with an OS and free space.
 */
export async function makeBootableDisk(path: string, sizeMiB: number, options: { seed?: string; onBoot?: OnBoot } = {}): Promise<void> {
  const seed = options.seed ?? 'tbx-e2e';
  const sector = bootSector(LOCALBOOT_MARKER, options.onBoot);
  const sectors = sizeMiB * 2048;
  sector.set([0x80, 0, 2, 0, 0x83, 0, 0, 0], 446);
  sector.writeUInt32LE(1, 454);
  sector.writeUInt32LE(sectors - 1, 458);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  const fh = await open(path, 'w');
  try {
    await fh.truncate(sizeMiB << 20);
    await fh.write(sector, 0, 512, 0);
    const text = Buffer.from(`${seed}: tests break disks; tbx puts them back.\n`.repeat(4096));
    await fh.write(text, 0, text.length, 1 << 20);
    let block = createHash('sha256').update(seed).digest();
    const random = Buffer.alloc(1 << 20);
    for (let off = 0; off < random.length; off += 32) {
      block = createHash('sha256').update(block).digest();
      block.copy(random, off);
    }
    for (let mib = 4; mib < sizeMiB - 1; mib += 16) await fh.write(random, 0, random.length, mib << 20);
  } finally {
    await fh.close();
  }
}

/** Overwrite the whole disk with garbage, boot sector included: it no longer boots. */
export async function trashDisk(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    const junk = Buffer.alloc(1 << 20, 0xde);
    for (let off = 0; off < size; off += junk.length) await fh.write(junk, 0, Math.min(junk.length, size - off), off);
  } finally {
    await fh.close();
  }
}
