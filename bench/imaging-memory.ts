import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { createCipheriv } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { IndexWriter, KIND } from '../imaging/chunked/index-file.js';
import { packPaths, storeAt } from '../imaging/chunked/layout.js';
import { blake3 } from '../imaging/chunked/native.js';
import { encodePackIndex, PACK_HEAD, type Frame } from '../imaging/chunked/pack-file.js';
import { packageRoot } from '../lib/package-root.js';

/**
 * Peak RSS of the imaging operations against a large chunk store, for the memory figures in
 * docs/imaging.md. Not a test, and not part of `bench:imaging`.
 *
 *   node dist/bench/imaging-memory.js build <dir> <chunks>
 *     a synthetic backup share: <chunks> distinct chunks of 64 KiB in pack indexes (the packs
 *     are sparse files: nothing in them matches, which the operations below only find after
 *     their index work), and box 10.9.0.1 with one generation referencing every chunk once
 *     (a <chunks> x 64 KiB disk). Deterministic.
 *   node dist/bench/imaging-memory.js measure <dir> [<tbx repo>...]
 *     for each tbx checkout (default: this one), runs in its own process and prints max RSS:
 *     backup of a 64 MiB disk into the share (loads the store's chunk list), restore of the big
 *     generation onto a sparse disk (stops when the first frame fails its check, i.e. after
 *     everything a restore builds before its first write), gc --dry-run, ls, du, verify.
 *   node dist/bench/imaging-memory.js sparse <dir> <GiB>
 *     a sparse disk of <GiB> GiB with 1 MiB of random data every 32 MiB (the rest reads zero).
 *   node dist/bench/imaging-memory.js measure-disk <dir> [<tbx repo>...]
 *     backup of that disk into a fresh share, then a full restore onto an empty sparse disk
 *     (every chunk written, zero runs by fallocate, the whole disk read back).
 */
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const PER_FRAME = 128;
const FRAMES_PER_PACK = 4;

async function build(dir: string, chunks: number): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const backup = join(dir, 'backup');
  await mkdir(backup, { recursive: true });
  await writeFile(join(backup, 'testbox-backup'), '');
  const store = storeAt(join(backup, '.tbx-chunks'));
  const digestOf = (i: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(i);
    return blake3(b);
  };
  const perPack = PER_FRAME * FRAMES_PER_PACK;
  for (let first = 0, n = 0; first < chunks; first += perPack, n++) {
    const id = n.toString(16).padStart(32, '0');
    const p = packPaths(store, id);
    await mkdir(p.dir, { recursive: true });
    const frames: Frame[] = [];
    let offset = PACK_HEAD.length;
    for (let f = 0; f < FRAMES_PER_PACK && first + f * PER_FRAME < chunks; f++) {
      const list = [];
      for (let c = 0; c < PER_FRAME && first + f * PER_FRAME + c < chunks; c++) list.push({ digest: digestOf(first + f * PER_FRAME + c), inner: c * CHUNK, length: CHUNK });
      const storedLength = 2 * MiB;
      frames.push({ pack: id, offset, storedLength, rawLength: list.length * CHUNK, digest: Buffer.alloc(32), chunks: list, checked: true });
      offset += storedLength;
    }
    const fh = await open(p.pack, 'w');
    await fh.truncate(offset);
    await fh.close();
    await writeFile(p.index, encodePackIndex(frames));
  }
  const images = join(backup, '10.9.0.1', 'images', 'sda');
  await mkdir(images, { recursive: true });
  const path = join(images, '00000001.tbxi');
  const w = await IndexWriter.create(path);
  for (let i = 0; i < chunks; i++) await w.add(i * CHUNK, CHUNK, KIND.data, digestOf(i));
  await w.commit(path, {
    format: 'tbx-chunked/1', device: 'sda', generation: 1, createdAt: new Date(0).toISOString(), box: { ip: '10.9.0.1' }, disk: { size: chunks * CHUNK },
    tool: { name: 'tbx', version: 'synthetic' }, chunking: { block: 4096, minChunk: 8192, maxChunk: 262144, zeroRunMin: 65536, digest: 'blake3', compression: 'zstd-3' },
    mode: 'whole-disk', layout: [], stats: { dataBytes: chunks * CHUNK, zeroBytes: 0, unusedBytes: 0, chunks, newChunks: chunks, newStoredBytes: 0, seconds: 0 },
  });
  const small = join(dir, 'small.img');
  const sfh = await open(small, 'w');
  const block = Buffer.alloc(MiB);
  for (let m = 0; m < 64; m++) {
    for (let o = 0; o < MiB; o += 32) blake3(Buffer.from(`small/${m}/${o}`)).copy(block, o);
    await sfh.write(block, 0, MiB, m * MiB);
  }
  await sfh.close();
  process.stdout.write(`built ${dir}: ${chunks} chunks\n`);
}

/** Max RSS (MiB) and exit code of one command. */
async function peak(cmd: string[], env: Record<string, string> = {}): Promise<{ rss: number; code: number; seconds: number; error: string }> {
  const out = `/tmp/imaging-memory-${process.pid}.time`;
  const t = Date.now();
  const r = await execa('/usr/bin/time', ['-f', '%M', '-o', out, ...cmd], { reject: false, env: { TBX_LOG_LEVEL: 'error', ...env } });
  const { readFile } = await import('node:fs/promises');
  const kib = Number((await readFile(out, 'utf8')).trim().split('\n').pop());
  return { rss: kib / 1024, code: r.exitCode ?? -1, seconds: (Date.now() - t) / 1000, error: r.exitCode ? String(r.stderr).split('\n')[0]!.slice(0, 300) : '' };
}

/** The disk size a generation index records, from its header at the end of the file. */
async function diskSizeOf(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const tail = Buffer.alloc(40);
    await fh.read(tail, 0, 40, size - 40);
    const header = Buffer.alloc(tail.readUInt32LE(0));
    await fh.read(header, 0, header.length, size - 40 - header.length);
    return (JSON.parse(header.toString()) as { disk: { size: number } }).disk.size;
  } finally {
    await fh.close();
  }
}

async function measure(dir: string, repos: string[]): Promise<void> {
  const backup = join(dir, 'backup');
  for (const repo of repos) {
    const tbx = join(repo, 'bin', 'tbx.js');
    const op = join(repo, 'dist', 'bench', 'imaging-op.js');
    const target = join(dir, 'target.img');
    const rows: Array<[string, Awaited<ReturnType<typeof peak>>]> = [];
    await rm(join(backup, '10.9.0.2'), { recursive: true, force: true });
    rows.push(['backup 64 MiB', await peak([process.execPath, op, 'backup', backup, '10.9.0.2', join(dir, 'small.img')])]);
    const tfh = await open(target, 'w');
    await tfh.truncate(await diskSizeOf(join(backup, '10.9.0.1', 'images', 'sda', '00000001.tbxi')));
    await tfh.close();
    rows.push(['restore (to the first write)', await peak([process.execPath, op, 'restore', backup, '10.9.0.1', target])]);
    rows.push(['gc --dry-run', await peak([process.execPath, tbx, 'image', 'gc', '--dry-run', '--backup', backup])]);
    rows.push(['ls', await peak([process.execPath, tbx, 'image', 'ls', '--json', '--backup', backup])]);
    rows.push(['du', await peak([process.execPath, tbx, 'image', 'du', '--json', '--backup', backup])]);
    rows.push(['verify', await peak([process.execPath, tbx, 'image', 'verify', '--json', '--backup', backup])]);
    await rm(target, { force: true });
    for (const [name, r] of rows) process.stdout.write(`${repo}\t${name}\t${r.rss.toFixed(0)} MiB\t${r.seconds.toFixed(1)} s\texit ${r.code}\n`);
  }
}

async function sparse(dir: string, gib: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const fh = await open(join(dir, 'sparse.img'), 'w');
  await fh.truncate(gib * 1024 * MiB);
  // Deterministic random bytes: AES-128-CTR over zeros, with a fixed key.
  const stream = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16));
  const zero = Buffer.alloc(MiB);
  for (let at = 0; at < gib * 1024 * MiB; at += 32 * MiB) await fh.write(stream.update(zero), 0, MiB, at);
  await fh.close();
  process.stdout.write(`built ${join(dir, 'sparse.img')}: ${gib} GiB\n`);
}

async function measureDisk(dir: string, repos: string[]): Promise<void> {
  const disk = join(dir, 'sparse.img');
  const { stat } = await import('node:fs/promises');
  const size = (await stat(disk)).size;
  for (const repo of repos) {
    const op = join(repo, 'dist', 'bench', 'imaging-op.js');
    const share = join(dir, 'share');
    await rm(share, { recursive: true, force: true });
    const b = await peak([process.execPath, op, 'backup', share, '10.9.0.3', disk]);
    const target = join(dir, 'target.img');
    const fh = await open(target, 'w');
    await fh.truncate(size);
    await fh.close();
    const r = await peak([process.execPath, op, 'restore', share, '10.9.0.3', target]);
    const same = (await execa('cmp', ['-s', disk, target], { reject: false })).exitCode === 0;
    await rm(target, { force: true });
    process.stdout.write(`${repo}\tbackup ${(size / 1024 / MiB).toFixed(0)} GiB\t${b.rss.toFixed(0)} MiB\t${b.seconds.toFixed(1)} s\texit ${b.code}\n`);
    process.stdout.write(`${repo}\tfull restore\t${r.rss.toFixed(0)} MiB\t${r.seconds.toFixed(1)} s\texit ${r.code}\tidentical ${same ? 'yes' : 'NO'}\t${r.error}\n`);
  }
}

const [cmd, dir, arg, ...more] = process.argv.slice(2);
if (cmd === 'build' && dir && arg) await build(dir, Number(arg));
else if (cmd === 'measure' && dir) await measure(dir, arg ? [arg, ...more] : [packageRoot()]);
else if (cmd === 'sparse' && dir && arg) await sparse(dir, Number(arg));
else if (cmd === 'measure-disk' && dir) await measureDisk(dir, arg ? [arg, ...more] : [packageRoot()]);
else {
  process.stderr.write('usage: imaging-memory.js build <dir> <chunks> | measure <dir> [<tbx repo>...] | sparse <dir> <GiB> | measure-disk <dir> [<tbx repo>...]\n');
  process.exit(2);
}
