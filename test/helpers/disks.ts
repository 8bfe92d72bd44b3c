import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** Deterministic pseudo-random bytes from `seed` (SHA-256 in counter mode). */
export function prng(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0, o = 0; o < length; i++, o += 32) createHash('sha256').update(`${seed}/${i}`).digest().copy(out, o, 0, Math.min(32, length - o));
  return out;
}

/**
 * A file-backed disk with content like a real one: random data in 1 MiB stretches, text
 * (compressible), and long zero runs, all derived from `seed`.
 */
export async function makeTestDisk(path: string, sizeBytes: number, seed: string): Promise<string> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(sizeBytes);
    const random = prng(seed, 1 << 20);
    const text = Buffer.from(`${seed}: tests break disks; tbx puts them back.\n`.repeat(20000)).subarray(0, 1 << 20);
    for (let mib = 0; mib < sizeBytes / (1 << 20); mib++) {
      if (mib % 5 === 0) await fh.write(random, 0, random.length, mib * (1 << 20));
      else if (mib % 5 === 2) await fh.write(text, 0, text.length, mib * (1 << 20));
      else if (mib % 5 === 3) await fh.write(prng(`${seed}/${mib}`, 200_000), 0, 200_000, mib * (1 << 20) + 4096);
    }
  } finally {
    await fh.close();
  }
  return path;
}

/** Overwrite `length` bytes at `offset` with bytes derived from `seed`. */
export async function scribble(path: string, offset: number, length: number, seed: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(prng(seed, length), 0, length, offset);
  } finally {
    await fh.close();
  }
}

/** SHA-256 of a whole file. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const b of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(b as Buffer);
  return h.digest('hex');
}

/**
 * A small ext4 disk made with mkfs.ext4 -d over a generated tree (e2fsprogs), with the free
 * space first filled with garbage when `garbage` is set. Fixed UUID and time: reproducible.
 */
export async function makeExt4Disk(root: string, name: string, sizeMiB: number, options: { garbage?: boolean; files?: number; seed?: string } = {}): Promise<string> {
  const tree = join(root, `${name}-tree`);
  await mkdir(join(tree, 'usr', 'lib'), { recursive: true });
  for (let i = 0; i < (options.files ?? 40); i++) {
    const body = i % 3 === 0 ? prng(`${options.seed ?? 'os'}/${i}`, 60_000 + i * 1000) : Buffer.from(`file ${i} of the OS tree\n`.repeat(3000 + i * 50));
    await writeFile(join(tree, 'usr', 'lib', `lib${i}.so`), body);
  }
  const path = join(root, `${name}.img`);
  const fh = await open(path, 'w');
  await fh.truncate(sizeMiB << 20);
  if (options.garbage) for (let m = 0; m < sizeMiB; m++) await fh.write(prng(`garbage/${m}`, 1 << 20), 0, 1 << 20, m << 20);
  await fh.close();
  await execa('mkfs.ext4', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-U', '0b1e9f6e-0000-4000-8000-000000000001', '-E', 'nodiscard,lazy_itable_init=0,lazy_journal_init=0,hash_seed=0b1e9f6e-0000-4000-8000-000000000002', '-d', tree, path], { env: { E2FSPROGS_FAKE_TIME: '1700000000' } });
  return path;
}

/**
 * A small NTFS disk made with mkntfs (quick format: the free space keeps what was there,
 * garbage when `garbage` is set) and files copied in with ntfscp (ntfs-3g), without mounting.
 */
export async function makeNtfsDisk(root: string, name: string, sizeMiB: number, options: { garbage?: boolean; files?: number; seed?: string; clusterSize?: number } = {}): Promise<string> {
  const path = join(root, `${name}.img`);
  const fh = await open(path, 'w');
  await fh.truncate(sizeMiB << 20);
  if (options.garbage) for (let m = 0; m < sizeMiB; m++) await fh.write(prng(`garbage/${m}`, 1 << 20), 0, 1 << 20, m << 20);
  await fh.close();
  await execa('mkntfs', ['-q', '-F', '-f', '-c', String(options.clusterSize ?? 4096), '-L', name, path]);
  const files = join(root, `${name}-files`);
  await mkdir(files, { recursive: true });
  for (let i = 0; i < (options.files ?? 12); i++) {
    const body = i % 3 === 0 ? prng(`${options.seed ?? 'win'}/${i}`, 60_000 + i * 7000) : Buffer.from(`file ${i} of the Windows tree\n`.repeat(3000 + i * 50));
    await writeFile(join(files, `file${i}.dll`), body);
    await execa('ntfscp', ['-q', path, join(files, `file${i}.dll`), `file${i}.dll`]);
  }
  return path;
}

/** A disk of `sizeMiB` with an MBR whose one partition (of MBR `type`, at 1 MiB) holds `fs`. */
export async function partitionedDisk(path: string, fs: Buffer, sizeMiB: number, type: number): Promise<string> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(sizeMiB << 20);
    const mbr = Buffer.alloc(512);
    mbr[446 + 4] = type;
    mbr.writeUInt32LE(2048, 446 + 8);
    mbr.writeUInt32LE(fs.length / 512, 446 + 12);
    mbr.writeUInt16LE(0xaa55, 510);
    await fh.write(mbr, 0, 512, 0);
    await fh.write(fs, 0, fs.length, 1 << 20);
  } finally {
    await fh.close();
  }
  return path;
}
