import type { FileHandle } from 'node:fs/promises';

/** A partition (or the whole disk, for a file system without a partition table). */
export interface Partition {
  name: string;
  start: number;
  length: number;
}

/**
 * Where file systems may start: the whole disk, plus every MBR primary partition or GPT
 * entry. Extended partitions and anything unreadable are left out (read whole as unknown).
 */
export async function listPartitions(fh: FileHandle, size: number): Promise<Partition[]> {
  const out: Partition[] = [{ name: 'disk', start: 0, length: size }];
  const mbr = Buffer.alloc(512);
  await fh.read(mbr, 0, 512, 0);
  if (mbr.readUInt16LE(510) !== 0xaa55) return out;
  const entries = [0, 1, 2, 3].map((i) => mbr.subarray(446 + i * 16, 462 + i * 16));
  if (entries.some((e) => e[4] === 0xee)) return [...out, ...(await gptPartitions(fh, size))];
  entries.forEach((e, i) => {
    const type = e[4]!;
    const start = e.readUInt32LE(8) * 512;
    const length = e.readUInt32LE(12) * 512;
    if (type === 0 || [0x05, 0x0f, 0x85].includes(type) || length === 0 || start + length > size) return;
    out.push({ name: `mbr${i + 1}`, start, length });
  });
  return out;
}

async function gptPartitions(fh: FileHandle, size: number): Promise<Partition[]> {
  const hdr = Buffer.alloc(512);
  await fh.read(hdr, 0, 512, 512);
  if (hdr.toString('latin1', 0, 8) !== 'EFI PART') return [];
  const at = Number(hdr.readBigUInt64LE(0x48)) * 512;
  const count = Math.min(hdr.readUInt32LE(0x50), 256);
  const esize = hdr.readUInt32LE(0x54);
  if (esize < 128 || esize > 4096) return [];
  const table = Buffer.alloc(count * esize);
  await fh.read(table, 0, table.length, at);
  const out: Partition[] = [];
  for (let i = 0; i < count; i++) {
    const e = table.subarray(i * esize, (i + 1) * esize);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    const start = Number(e.readBigUInt64LE(0x20)) * 512;
    const end = (Number(e.readBigUInt64LE(0x28)) + 1) * 512;
    if (end > start && end <= size) out.push({ name: `gpt${i + 1}`, start, length: end - start });
  }
  return out;
}
