import type { FileHandle } from 'node:fs/promises';

/** A file system's free space, or why it was not understood (`absent`: it is not this kind of file system at all). */
export type FreeSpace = { ok: true; free: Array<[number, number]>; freeBytes: number } | { ok: false; why: string; absent?: true };

const BLOCK_UNINIT = 0x2;
const INCOMPAT = { recover: 0x4, journalDev: 0x8, metaBg: 0x10, is64: 0x80 } as const;
const SUPPORTED_INCOMPAT = 0x2 | 0x4 | 0x40 | 0x80 | 0x200 | 0x400 | 0x8000 | 0x10000 | 0x20000; // filetype, recover, extents, 64bit, flex_bg, ea_inode, large_dir, inline_data, encrypt
const COMPAT_RESIZE_INODE = 0x10;
const COMPAT_SPARSE_SUPER2 = 0x200;
const RO_SPARSE_SUPER = 0x1;

/**
 * The free blocks of an ext2/3/4 file system at byte `base` of a disk, read from its block
 * bitmaps the way partclone does. Groups whose bitmap was never initialised (BLOCK_UNINIT)
 * are computed from the layout, and every group's count of free blocks must match its
 * descriptor, else the file system "looks inconsistent" and nothing is skipped. Also refused:
 * a file system that was not cleanly unmounted, needs journal recovery, or uses features
 * whose layout this reader does not model (meta_bg, sparse_super2, non-4 KiB blocks).
 */
export async function ext4FreeSpace(fh: FileHandle, base: number, length: number): Promise<FreeSpace> {
  const sb = Buffer.alloc(1024);
  await fh.read(sb, 0, 1024, base + 1024);
  if (sb.readUInt16LE(0x38) !== 0xef53) return { ok: false, why: 'no ext2/3/4 superblock', absent: true };
  const bs = 1024 << sb.readUInt32LE(0x18);
  const incompat = sb.readUInt32LE(0x60);
  const compat = sb.readUInt32LE(0x5c);
  if (bs !== 4096) return { ok: false, why: `ext4 block size ${bs} (only 4096 is understood)` };
  if ((sb.readUInt16LE(0x3a) & 1) === 0 || incompat & INCOMPAT.recover) return { ok: false, why: 'ext4 was not cleanly unmounted (run fsck first)' };
  if (incompat & ~SUPPORTED_INCOMPAT || incompat & (INCOMPAT.metaBg | INCOMPAT.journalDev) || compat & COMPAT_SPARSE_SUPER2) {
    return { ok: false, why: `ext4 features not understood (incompat 0x${incompat.toString(16)})` };
  }
  const is64 = (incompat & INCOMPAT.is64) !== 0;
  const blocks = sb.readUInt32LE(0x04) + (is64 ? sb.readUInt32LE(0x150) * 0x100000000 : 0);
  const firstData = sb.readUInt32LE(0x14);
  const perGroup = sb.readUInt32LE(0x20);
  const inodesPerGroup = sb.readUInt32LE(0x28);
  const inodeSize = sb.readUInt16LE(0x58) || 128;
  const descSize = is64 ? sb.readUInt16LE(0xfe) : 32;
  if (blocks * bs > length || perGroup !== bs * 8 || descSize < 32) return { ok: false, why: 'ext4 geometry does not fit the disk' };
  const groups = Math.ceil((blocks - firstData) / perGroup);
  const gdtBlocks = Math.ceil((groups * descSize) / bs);
  const reservedGdt = compat & COMPAT_RESIZE_INODE ? sb.readUInt16LE(0xce) : 0;
  const sparse = (sb.readUInt32LE(0x64) & RO_SPARSE_SUPER) !== 0;
  const gdt = Buffer.alloc(gdtBlocks * bs);
  await fh.read(gdt, 0, gdt.length, base + (firstData + 1) * bs);

  const used = new Uint8Array(Math.ceil(blocks / 8)); // 1 = in use
  // Bit by bit only at the ends: a 1 TB disk has 2^28 blocks.
  const mark = (b: number, n: number) => {
    const end = Math.min(b + n, blocks);
    let i = b;
    for (; i < end && i & 7; i++) used[i >> 3]! |= 1 << (i & 7);
    for (; i + 8 <= end; i += 8) used[i >> 3] = 0xff;
    for (; i < end; i++) used[i >> 3]! |= 1 << (i & 7);
  };
  const desc = (g: number, lo: number, hi: number, wide = 4) => {
    const o = g * descSize;
    const l = wide === 4 ? gdt.readUInt32LE(o + lo) : gdt.readUInt16LE(o + lo);
    const h = is64 ? (wide === 4 ? gdt.readUInt32LE(o + hi) : gdt.readUInt16LE(o + hi)) : 0;
    return l + h * (wide === 4 ? 0x100000000 : 0x10000);
  };
  const bitmap = Buffer.alloc(bs);
  for (let g = 0; g < groups; g++) {
    const start = firstData + g * perGroup;
    if (gdt.readUInt16LE(g * descSize + 0x12) & BLOCK_UNINIT) {
      if (hasSuper(g, sparse)) mark(start, 1 + gdtBlocks + reservedGdt);
      continue;
    }
    await fh.read(bitmap, 0, bs, base + desc(g, 0x0, 0x20) * bs);
    const n = Math.min(perGroup, blocks - start);
    // A group starting on a byte of `used` takes its bitmap a byte at a time.
    const whole = start & 7 ? 0 : n >> 3;
    for (let j = 0; j < whole; j++) used[(start >> 3) + j]! |= bitmap[j]!;
    for (let i = whole << 3; i < n; i++) if (bitmap[i >> 3]! & (1 << (i & 7))) mark(start + i, 1);
  }
  const tableBlocks = Math.ceil((inodesPerGroup * inodeSize) / bs);
  for (let g = 0; g < groups; g++) {
    mark(desc(g, 0x0, 0x20), 1);
    mark(desc(g, 0x4, 0x24), 1);
    mark(desc(g, 0x8, 0x28), tableBlocks);
  }
  mark(0, firstData + 1);
  const free: Array<[number, number]> = [];
  let freeBytes = 0;
  for (let g = 0; g < groups; g++) {
    const start = firstData + g * perGroup;
    const end = Math.min(blocks, start + perGroup);
    let count = 0;
    const addFree = (b: number, k: number) => {
      count += k;
      const last = free.at(-1);
      if (last && last[0] + last[1] === base + b * bs) last[1] += k * bs;
      else free.push([base + b * bs, k * bs]);
    };
    for (let b = start; b < end; ) {
      const byte = used[b >> 3]!;
      if ((b & 7) === 0 && b + 8 <= end && (byte === 0 || byte === 0xff)) {
        if (byte === 0) addFree(b, 8);
        b += 8;
        continue;
      }
      if (!(byte & (1 << (b & 7)))) addFree(b, 1);
      b++;
    }
    const expected = desc(g, 0xc, 0x2c, 2);
    if (count !== expected) return { ok: false, why: `ext4 group ${g} has ${count} free blocks in its bitmap but ${expected} in its descriptor (inconsistent; run fsck)` };
    freeBytes += count * bs;
  }
  return { ok: true, free, freeBytes };
}

function hasSuper(g: number, sparse: boolean): boolean {
  if (g <= 1 || !sparse) return true;
  for (const p of [3, 5, 7]) {
    let n = p;
    while (n < g) n *= p;
    if (n === g) return true;
  }
  return false;
}
