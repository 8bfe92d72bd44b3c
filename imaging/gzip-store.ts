import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { syncDir, writeFileAtomic } from '../lib/atomic-write.js';
import { TbxError } from '../lib/errors.js';
import { dropCache } from './drop-cache.js';
import { ImageIntegrityError, type BackupOptions, type DiskResult, type DiskTarget, type ImageOrigin, type ImageStore, type ImageSummary, type ImagingContext } from './store.js';

/** The seed's block size: dd bs=256K. */
const BLOCK = 256 * 1024;

/**
 * The seed's image format: `<dev>.gz` is the raw device through gzip. tbx adds a
 * `<dev>.gz.sha256` in sha256sum format, writes to a temp file and renames, keeps the
 * previous image as `<dev>.gz.old` on backup-again, and reads the seed's `<dev>.raw.gz` too.
 */
export class GzipStore implements ImageStore {
  readonly format = 'gzip' as const;

  async list(dir: string): Promise<ImageSummary[]> {
    const names = await readdir(dir).catch(() => [] as string[]);
    const byDevice = new Map<string, ImageSummary>();
    for (const name of names) {
      const m = /^([a-z][a-z0-9]*)(\.raw)?\.gz$/.exec(name);
      if (!m) continue;
      const st = await lstat(join(dir, name));
      if (!st.isFile()) continue;
      const origin = await readOrigin(join(dir, name));
      const summary: ImageSummary = {
        device: m[1]!,
        format: 'gzip',
        ref: name,
        createdAt: st.mtime.toISOString(),
        storedBytes: st.size,
        logicalBytes: origin?.size ?? null,
        sha256: origin?.sha256 ?? null,
        ...(origin ? { origin: origin.origin } : {}),
      };
      const prev = byDevice.get(summary.device);
      if (!prev || (prev.createdAt ?? '') < (summary.createdAt ?? '')) byDevice.set(summary.device, summary);
    }
    return [...byDevice.values()].sort((a, b) => a.device.localeCompare(b.device));
  }

  async backup(disk: DiskTarget, dir: string, options: BackupOptions): Promise<DiskResult> {
    const name = `${disk.device}.gz`;
    const target = join(dir, name);
    if (!options.replace && (await exists(target))) throw new TbxError(`${target} already exists`);
    const started = Date.now();
    const tmp = join(dir, `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    const raw = createHash('sha256');
    const gz = createHash('sha256');
    let bytes = 0;
    let stored = 0;
    let rawHex = '';
    try {
      await pipeline(
        createReadStream(disk.path, { highWaterMark: BLOCK, end: disk.size - 1 }),
        tap((b) => {
          raw.update(b);
          bytes += b.length;
          options.progress?.(bytes, disk.size);
        }),
        createGzip({ level: 6 }),
        tap((b) => {
          gz.update(b);
          stored += b.length;
        }),
        createWriteStream(tmp, { flags: 'wx', mode: 0o644 }),
      );
      // A short read means the device is not the size the kernel reports: never keep such an image.
      if (bytes !== disk.size) throw new TbxError(`read ${bytes} bytes from ${disk.path}, expected ${disk.size}: short read`);
      await fsyncFile(tmp);
      const gzHex = gz.digest('hex');
      // Read back what landed on the share: a short write or a flaky share must not become "the image".
      if ((await sha256File(tmp)) !== gzHex) throw new ImageIntegrityError(`${tmp} does not read back as written`);
      await writeFileAtomic(`${target}.sha256.next`, `${gzHex}  ${name}\n`);
      const origin: DiskSidecar = {
        size: disk.size,
        sha256: (rawHex = raw.digest('hex')),
        gz: gzHex,
        ...(disk.model ? { model: disk.model } : {}),
        ...(disk.serial ? { serial: disk.serial } : {}),
        ...(options.box?.ip ? { ip: options.box.ip } : {}),
        ...(options.box?.name ? { name: options.box.name } : {}),
      };
      await writeFileAtomic(`${target}.disk.json.next`, `${JSON.stringify(origin)}\n`);
      if (options.replace) await keepAsOld(dir, name);
      await rename(tmp, target);
      await rename(`${target}.sha256.next`, `${target}.sha256`);
      await rename(`${target}.disk.json.next`, `${target}.disk.json`);
      await syncDir(dir);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    return { device: disk.device, bytes, sha256: rawHex, seconds: (Date.now() - started) / 1000, image: name, storedBytes: stored };
  }

  async restore(image: ImageSummary, disk: DiskTarget, dir: string, context: ImagingContext): Promise<DiskResult> {
    const file = join(dir, image.ref);
    // Known size (tbx's .disk.json): refuse a too-small disk before the first byte, not when it overflows.
    if (image.logicalBytes !== null && image.logicalBytes > disk.size) {
      throw new TbxError(`${image.ref} holds more than ${disk.size} bytes, the size of ${disk.device} (the image is ${image.logicalBytes} bytes); 0 bytes written`);
    }
    await verifyChecksum(file, context);
    const started = Date.now();
    const raw = createHash('sha256');
    let bytes = 0;
    const fh = await open(disk.path, 'r+');
    try {
      // A Writable (not an async sink) so our own error reaches the caller intact, not as an AbortError.
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          if (bytes + chunk.length > disk.size) return done(new TbxError(`${image.ref} holds more than ${disk.size} bytes, the size of ${disk.device}`));
          fh.write(chunk, 0, chunk.length, bytes).then(() => {
            raw.update(chunk);
            bytes += chunk.length;
            context.progress?.(bytes, disk.size);
            done();
          }, done);
        },
      });
      await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), createGunzip({ chunkSize: BLOCK }), sink);
      await fh.sync();
    } finally {
      await fh.close();
    }
    const written = raw.digest('hex');
    if (image.sha256 && image.sha256 !== written) throw new ImageIntegrityError(`${image.ref} decompressed to sha256 ${written}, not the ${image.sha256} recorded at backup`);
    // Read back: what the disk holds now, from the device (cache dropped), must be what was written.
    await dropCache(disk.path);
    const readBack = await sha256File(disk.path, bytes);
    if (readBack !== written) throw new ImageIntegrityError(`${disk.device} does not read back as written: sha256 ${readBack} of its first ${bytes} bytes, ${written} written (a failing disk?)`);
    return { device: disk.device, bytes, sha256: written, readBack, seconds: (Date.now() - started) / 1000, image: image.ref };
  }
}

/**
 * Check `<file>` against its sha256 sidecar before anything is written (false: it has none). A pending
 * `.sha256.next` also counts: a backup that crashed between its two renames left the new
 * image with the new checksum there (roll forward). Seed images have no sidecar at all.
 */
export async function verifyChecksum(file: string, context: ImagingContext): Promise<boolean> {
  const expected: string[] = [];
  for (const side of [`${file}.sha256`, `${file}.sha256.next`]) {
    const text = await readFile(side, 'utf8').catch(() => '');
    const m = /^([0-9a-f]{64})\s/.exec(text);
    if (m) expected.push(m[1]!);
  }
  if (expected.length === 0) {
    context.log.warn({ image: file }, 'image has no .sha256 (written by the seed script?): restoring on gzip CRC alone');
    return false;
  }
  const actual = await sha256File(file);
  if (!expected.includes(actual)) {
    throw new ImageIntegrityError(`${file} is damaged: sha256 ${actual} does not match ${file}.sha256 (${expected[0]}); refusing to restore, 0 bytes written`);
  }
  return true;
}

/** Keep the current image as `<name>.old` without a moment where `<name>` is missing. */
async function keepAsOld(dir: string, name: string): Promise<void> {
  for (const [from, to] of [[name, `${name}.old`], [`${name}.sha256`, `${name}.old.sha256`], [`${name}.disk.json`, `${name}.old.disk.json`]] as const) {
    if (!(await exists(join(dir, from)))) continue;
    const tmp = join(dir, `.${to}.tmp-${randomBytes(4).toString('hex')}`);
    await link(join(dir, from), tmp);
    await rename(tmp, join(dir, to));
  }
}

function tap(fn: (b: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      fn(chunk);
      cb(null, chunk);
    },
  });
}

async function sha256File(path: string, length?: number): Promise<string> {
  const h = createHash('sha256');
  if (length === 0) return h.digest('hex');
  for await (const b of createReadStream(path, { highWaterMark: 1 << 20, ...(length !== undefined ? { end: length - 1 } : {}) })) h.update(b as Buffer);
  return h.digest('hex');
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * `<dev>.gz.disk.json`: what tbx recorded about the disk a gzip image was taken from, with
 * the sha256 of the raw disk (`sha256`) and of the `.gz` file (`gz`), which ties it to one image.
 */
type DiskSidecar = ImageOrigin & { sha256: string; gz: string };

/**
 * The sidecar of `<file>`, or undefined. It counts only if its `gz` digest is the image's
 * checksum (`.sha256`, or a pending `.sha256.next` after a crash between renames): a sidecar
 * left from the previous image never describes the new one. Seed images have none.
 */
async function readOrigin(file: string): Promise<{ size: number; sha256: string | null; origin: ImageOrigin } | undefined> {
  const checksums = new Set<string>();
  for (const side of [`${file}.sha256`, `${file}.sha256.next`]) {
    const m = /^([0-9a-f]{64})\s/.exec(await readFile(side, 'utf8').catch(() => ''));
    if (m) checksums.add(m[1]!);
  }
  for (const side of [`${file}.disk.json`, `${file}.disk.json.next`]) {
    const text = await readFile(side, 'utf8').catch(() => undefined);
    const parsed = text ? parseSidecar(text) : undefined;
    if (parsed && checksums.has(parsed.gz)) return parsed;
  }
  return undefined;
}

function parseSidecar(text: string): { size: number; sha256: string | null; gz: string; origin: ImageOrigin } | undefined {
  try {
    const v = JSON.parse(text) as Partial<DiskSidecar>;
    if (typeof v.gz !== 'string') return undefined;
    if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) return undefined;
    const str = (x: unknown) => (typeof x === 'string' && x.length <= 255 ? x : undefined);
    const origin: ImageOrigin = { size: v.size };
    for (const k of ['model', 'serial', 'ip', 'name'] as const) {
      const s = str(v[k]);
      if (s) origin[k] = s;
    }
    return { size: v.size, gz: v.gz, sha256: typeof v.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256) ? v.sha256 : null, origin };
  } catch {
    return undefined;
  }
}
