import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { diskUsage } from '../../../../imaging/chunked/usage.js';
import { ntfsFreeSpace } from '../../../../imaging/chunked/usage/ntfs.js';
import { makeNtfsDisk, partitionedDisk } from '../../../helpers/disks.js';
import { tempDir } from '../../../helpers/tmp.js';

const MiB = 1 << 20;

async function freeSpace(path: string) {
  const fh = await open(path, 'r');
  try {
    return await ntfsFreeSpace(fh, 0, (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}

/** ntfs-3g's own count of free bytes (ntfscluster --info). */
async function ntfsclusterFree(path: string): Promise<number> {
  const { stdout } = await execa('ntfscluster', ['-i', path]);
  return Number(/bytes of free space\s*:\s*(\d+)/.exec(stdout)![1]);
}

/** The first LCN of a system file's unnamed $DATA, as ntfsinfo prints its run list. */
async function firstLcn(path: string, record: number): Promise<number> {
  const { stdout } = await execa('ntfsinfo', ['-v', '-i', String(record), path]);
  return Number.parseInt(/Runlist:\s+VCN\s+LCN\s+Length\s*\n\s*0x0\s+0x([0-9a-f]+)/i.exec(stdout)![1]!, 16);
}

async function patch(path: string, at: number, bytes: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  await fh.write(bytes, 0, bytes.length, at);
  await fh.close();
}

test('NTFS: the free bytes are exactly what ntfs-3g counts, in 4 KiB-aligned ranges', async (t) => {
  const dir = await tempDir(t);
  const disk = await makeNtfsDisk(dir, 'win', 48, { garbage: true });
  const fs = await freeSpace(disk);
  assert.ok(fs.ok, fs.ok ? '' : fs.why);
  assert.equal(fs.freeBytes, await ntfsclusterFree(disk));
  assert.ok(fs.freeBytes > 30 * MiB && fs.free.every(([s, l]) => s % 4096 === 0 && l % 4096 === 0 && l > 0));
});

test('NTFS with 512-byte clusters in an MBR partition: free runs shrink to whole 4 KiB blocks', async (t) => {
  const dir = await tempDir(t);
  const vol = await readFile(await makeNtfsDisk(dir, 'small', 24, { garbage: true, clusterSize: 512 }));
  const oracle = await ntfsclusterFree(join(dir, 'small.img'));
  const fh = await open(await partitionedDisk(join(dir, 'disk.img'), vol, 32, 0x07), 'r');
  const u = await diskUsage(fh, 32 * MiB, true);
  await fh.close();
  assert.equal(u.mode, 'used-blocks');
  assert.ok(u.layout.some((l) => l.startsWith(`mbr1: ntfs at ${MiB}, `)), u.layout.join('; '));
  assert.ok(u.used.every(([s, l]) => s % 4096 === 0 && l % 4096 === 0));
  // Shrinking loses at most 3.5 KiB at each end of each free run, never gains.
  const runs = u.used.length + 1;
  assert.ok(u.freeBytes <= oracle && u.freeBytes >= oracle - runs * 2 * 3584, `${u.freeBytes} free against ntfs-3g's ${oracle}`);
  // No file or system file owns any cluster of a skipped range (ntfs-3g's reverse lookup).
  const skipped = u.used.slice(0, -1).map(([s, l], i) => [s + l, u.used[i + 1]![0]] as const).filter(([a, b]) => a >= MiB && b <= MiB + vol.length);
  assert.ok(skipped.length >= 2);
  for (const [a, b] of skipped) {
    const { stdout } = await execa('ntfscluster', ['-c', `${(a - MiB) / 512}-${(b - MiB) / 512 - 1}`, join(dir, 'small.img')]);
    assert.match(stdout, /no inode found/, `clusters ${(a - MiB) / 512}-${(b - MiB) / 512 - 1} are skipped but in use: ${stdout}`);
  }
});

test('NTFS marked dirty, or whose $MFTMirr differs from the MFT, is read whole', async (t) => {
  const dir = await tempDir(t);
  const disk = await makeNtfsDisk(dir, 'dirty', 24);
  assert.ok((await freeSpace(disk)).ok, 'understood before the flag is set');
  const info = (await execa('ntfsinfo', ['-m', disk])).stdout;
  const mft = Number(/LCN of Data Attribute for FILE_MFT:\s*(\d+)/.exec(info)![1]) * 4096;
  const mirror = Number(/LCN of Data Attribute for File_MFTMirr:\s*(\d+)/.exec(info)![1]) * 4096;
  // $Volume is MFT record 3 (1 KiB records); its $VOLUME_INFORMATION (0x70) value holds the flags at +0x0a.
  const rec = Buffer.alloc(1024);
  const fh = await open(disk, 'r');
  await fh.read(rec, 0, 1024, mft + 3 * 1024);
  await fh.close();
  let p = rec.readUInt16LE(0x14);
  while (rec.readUInt32LE(p) !== 0x70) p += rec.readUInt32LE(p + 4);
  const flags = 3 * 1024 + p + rec.readUInt16LE(p + 0x14) + 0x0a;
  await patch(disk, mft + flags, Buffer.from([0x01, 0x00]));
  let fs = await freeSpace(disk);
  assert.match(fs.ok ? '' : fs.why, /\$MFTMirr does not match the MFT \(record 3/);
  await patch(disk, mirror + flags, Buffer.from([0x01, 0x00]));
  assert.match((await execa('ntfsinfo', ['-m', disk], { reject: false, all: true })).all, /Volume is scheduled for check/, 'ntfs-3g sees the dirty flag');
  fs = await freeSpace(disk);
  assert.equal(fs.ok, false);
  assert.match(fs.ok ? '' : fs.why, /marked dirty \(run chkdsk first\)/);
});

test('NTFS whose $LogFile holds unapplied changes (crash, hibernation, fast startup) is read whole; a clean log is not', async (t) => {
  const dir = await tempDir(t);
  const disk = await makeNtfsDisk(dir, 'hiber', 24);
  const log = (await firstLcn(disk, 2)) * 4096;
  /** A restart page as Windows writes it: a restart area at 0x30 with a client in use, and `flags`. */
  const restart = (flags: number) => {
    const page = Buffer.alloc(4096);
    page.write('RSTR', 0, 'latin1');
    page.writeUInt16LE(0x1e, 4);
    page.writeUInt16LE(9, 6);
    page.writeUInt32LE(4096, 0x10);
    page.writeUInt32LE(4096, 0x14);
    page.writeUInt16LE(0x30, 0x18);
    page.writeUInt16LE(0, 0x30 + 0x0c);
    page.writeUInt16LE(flags, 0x30 + 0x0e);
    return page;
  };
  await patch(disk, log, restart(0x2));
  await patch(disk, log + 4096, restart(0x2));
  assert.ok((await freeSpace(disk)).ok, 'a log whose restart area says "clean" is fine');
  await patch(disk, log + 4096, restart(0x0));
  const fs = await freeSpace(disk);
  assert.equal(fs.ok, false);
  assert.match(fs.ok ? '' : fs.why, /\$LogFile holds changes not yet applied/);
});

test('NTFS whose $Bitmap calls an MFT cluster free, or whose $Bitmap record is torn, is read whole', async (t) => {
  const dir = await tempDir(t);
  const disk = await makeNtfsDisk(dir, 'bad', 24, { files: 2 });
  const mftLcn = Number(/LCN of Data Attribute for FILE_MFT:\s*(\d+)/.exec((await execa('ntfsinfo', ['-m', disk])).stdout)![1]);
  const bitmap = (await firstLcn(disk, 6)) * 4096;
  const fh = await open(disk, 'r');
  const original = Buffer.alloc(1);
  await fh.read(original, 0, 1, bitmap + (mftLcn >> 3));
  const record6 = Buffer.alloc(2);
  await fh.read(record6, 0, 2, mftLcn * 4096 + 6 * 1024 + 510);
  await fh.close();
  await patch(disk, bitmap + (mftLcn >> 3), Buffer.from([original[0]! & ~(1 << (mftLcn & 7))]));
  let fs = await freeSpace(disk);
  assert.match(fs.ok ? '' : fs.why, new RegExp(`marks cluster ${mftLcn} of the MFT free`));
  await patch(disk, bitmap + (mftLcn >> 3), original);
  assert.ok((await freeSpace(disk)).ok);
  // The update sequence number at the end of the record's first sector, as an interrupted write leaves it.
  await patch(disk, mftLcn * 4096 + 6 * 1024 + 510, Buffer.from([record6[0]! ^ 0xff, record6[1]!]));
  fs = await freeSpace(disk);
  assert.match(fs.ok ? '' : fs.why, /MFT record 6 is torn/);
});
