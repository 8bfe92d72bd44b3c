import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { syncDir, writeFileAtomic } from '../lib/atomic-write.js';
import { TbxError } from '../lib/errors.js';
import { dropCache } from './drop-cache.js';
import { shareWriteError } from './share-write-error.js';
import { beginCommit, finishCommit, identityOf, originOf, readImageSet, settle, sha256Of, sidecarPaths, type DiskSidecar, type ImageSet } from './gzip-sidecars.js';
import { ImageIntegrityError, type BackupOptions, type DiskResult, type DiskTarget, type ImageStore, type ImageSummary, type ImagingContext } from './store.js';

/** The seed's block size: dd bs=256K. */
const BLOCK = 256 * 1024;

/** How a gzip store works. */
export interface GzipStoreOptions {
  /**
   * Called after each step of a backup's commit, by name. Only the crash tests use it: they
   * kill the process there to check that every crash point leaves one consistent image.
   */
  onCommitStep?: (step: string) => void;
}

/**
 * The seed's image format: `<dev>.gz` is the raw device through gzip. tbx adds a
 * `<dev>.gz.sha256` in sha256sum format and a `<dev>.gz.disk.json` sidecar (the disk's
 * identity and raw SHA-256), writes to a temp file and renames, keeps the previous image as
 * `<dev>.gz.old` on backup-again, and reads the seed's `<dev>.raw.gz` too. How the three files
 * are replaced without a moment where they disagree: imaging/gzip-sidecars.ts.
 */
export class GzipStore implements ImageStore {
  readonly format = 'gzip' as const;

  constructor(private readonly options: GzipStoreOptions = {}) {}

  async list(dir: string): Promise<ImageSummary[]> {
    const names = await readdir(dir).catch(() => [] as string[]);
    const byDevice = new Map<string, ImageSummary>();
    for (const name of names) {
      if (!/^[a-z][a-z0-9]*(\.raw)?\.gz$/.test(name)) continue;
      const summary = await describeGzipImage(dir, name);
      if (!summary) continue;
      const prev = byDevice.get(summary.device);
      if (!prev || (prev.createdAt ?? '') < (summary.createdAt ?? '')) byDevice.set(summary.device, summary);
    }
    return [...byDevice.values()].sort((a, b) => a.device.localeCompare(b.device));
  }

  async backup(disk: DiskTarget, dir: string, options: BackupOptions): Promise<DiskResult> {
    const name = `${disk.device}.gz`;
    const target = join(dir, name);
    if (!options.replace && (await exists(target))) throw new TbxError(`${target} already exists`);
    const step = this.options.onCommitStep ?? (() => undefined);
    await sweepTempFiles(dir, name, options);
    // An earlier backup interrupted mid-commit: finish or undo it before this one keeps the current set as .old.
    const settled = await settle(target);
    if (settled !== 'settled') options.log.warn({ image: target, settled }, 'an interrupted backup had left this image mid-commit');
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
      if ((await sha256Of(tmp)) !== gzHex) throw new ImageIntegrityError(`${tmp} does not read back as written`);
      const sidecar: DiskSidecar = {
        size: disk.size,
        sha256: (rawHex = raw.digest('hex')),
        gz: gzHex,
        ...(disk.model ? { model: disk.model } : {}),
        ...(disk.serial ? { serial: disk.serial } : {}),
        ...(options.box?.ip ? { ip: options.box.ip } : {}),
        ...(options.box?.name ? { name: options.box.name } : {}),
        ...(options.box?.request ? { request: options.box.request } : {}),
      };
      step('image written');
      await beginCommit(target, tmp, sidecar, step);
      step('pending checksum written');
      if (options.replace) await keepAsOld(dir, name, (n) => step(`old ${n}`));
      step('old kept');
      await rename(tmp, target);
      step('image renamed');
      await finishCommit(target, step);
      await syncDir(dir);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw shareWriteError(tmp, err, `${stored} bytes of the image written, ${bytes} of ${disk.size} read from ${disk.path}`);
      throw err;
    }
    return { device: disk.device, bytes, sha256: rawHex, seconds: (Date.now() - started) / 1000, image: name, storedBytes: stored };
  }

  /**
   * Verify, then write. The image is opened once: the checksum is computed over that open
   * file and the same file is decompressed onto the disk, so a backup renaming a new image
   * into place meanwhile changes nothing. The set chosen for that file must be the one `image`
   * was listed with (the identity gate decided on it); otherwise nothing is written.
   */
  async restore(image: ImageSummary, disk: DiskTarget, dir: string, context: ImagingContext): Promise<DiskResult> {
    const file = join(dir, image.ref);
    // Known size (tbx's .disk.json): refuse a too-small disk before the first byte, not when it overflows.
    if (image.logicalBytes !== null && image.logicalBytes > disk.size) {
      throw new TbxError(`${image.ref} holds more than ${disk.size} bytes, the size of ${disk.device} (the image is ${image.logicalBytes} bytes); 0 bytes written`);
    }
    const src = await open(file, 'r');
    try {
      const set = await verifyOpenImage(file, src, context);
      if ((set.sidecar?.sha256 ?? null) !== image.sha256) {
        throw new ImageIntegrityError(`${image.ref} was replaced after it was listed (it now records sha256 ${set.sidecar?.sha256 ?? 'none'}, not ${image.sha256 ?? 'none'}); refusing to restore, 0 bytes written`);
      }
      return await this.write(image, disk, src, context);
    } finally {
      await src.close();
    }
  }

  private async write(image: ImageSummary, disk: DiskTarget, src: FileHandle, context: ImagingContext): Promise<DiskResult> {
    const started = Date.now();
    const raw = createHash('sha256');
    let bytes = 0;
    const fh = await open(disk.path, 'r+');
    try {
      // A Writable (not an async sink) so our own error reaches the caller intact, not as an AbortError.
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          if (bytes + chunk.length > disk.size) return done(new TbxError(`${image.ref} holds more than ${disk.size} bytes, the size of ${disk.device}; ${bytes} bytes written`));
          fh.write(chunk, 0, chunk.length, bytes).then(() => {
            raw.update(chunk);
            bytes += chunk.length;
            context.progress?.(bytes, disk.size);
            done();
          }, done);
        },
      });
      await pipeline(src.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 }), createGunzip({ chunkSize: BLOCK }), sink);
      await fh.sync();
    } catch (err) {
      if (err instanceof TbxError) throw err;
      throw new TbxError(`restoring ${image.ref} onto ${disk.device} failed after ${bytes} bytes written`, { cause: err });
    } finally {
      await fh.close();
    }
    const written = raw.digest('hex');
    if (image.sha256 && image.sha256 !== written) throw new ImageIntegrityError(`${image.ref} decompressed to sha256 ${written}, not the ${image.sha256} recorded at backup; ${bytes} bytes written`);
    // Read back: what the disk holds now, from the device (cache dropped), must be what was written.
    await dropCache(disk.path);
    const readBack = await sha256Of(disk.path, bytes);
    if (readBack !== written) throw new ImageIntegrityError(`${disk.device} does not read back as written: sha256 ${readBack} of its first ${bytes} bytes, ${written} written (a failing disk?)`);
    return { device: disk.device, bytes, sha256: written, readBack, seconds: (Date.now() - started) / 1000, image: image.ref };
  }
}

/**
 * Check the open image `fh` (named `file`) against the one checksum of its set before
 * anything is written from it, and return that set. A seed image has no checksum: that is
 * logged, and gzip's CRC is all there is. Throws ImageIntegrityError on a mismatch.
 */
export async function verifyOpenImage(file: string, fh: FileHandle, context: ImagingContext): Promise<ImageSet> {
  let actual: string | undefined;
  const hash = async () => (actual ??= await sha256Of(fh));
  const set = await readImageSet(file, await identityOf(fh), hash);
  if (set.damaged) throw new ImageIntegrityError(`${file} cannot be trusted: ${set.damaged}; refusing to restore, 0 bytes written`);
  if (set.checksum === null) {
    context.log.warn({ image: file }, 'image has no .sha256 (written by the seed script?): restoring on gzip CRC alone');
    return set;
  }
  const got = await hash();
  if (got !== set.checksum) throw new ImageIntegrityError(`${file} is damaged: sha256 ${got} does not match its checksum ${set.checksum}${set.state === 'settled' ? '' : ` (${set.state} set of an interrupted backup)`}; refusing to restore, 0 bytes written`);
  return set;
}

/** Check `<file>` against its checksum (false: it has none, a seed image). See {@link verifyOpenImage}. */
export async function verifyChecksum(file: string, context: ImagingContext): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    return (await verifyOpenImage(file, fh, context)).checksum !== null;
  } finally {
    await fh.close();
  }
}

/**
 * Keep the current image set as `<name>.old`, replacing the previous `.old` set, by the same
 * commit protocol as a new image (pending record and checksum, the rename, then the rest): a
 * crash at any step leaves `.old` one consistent set, the previous one or the current one.
 * `<name>` itself is never missing: `.old` is a hard link of it.
 */
async function keepAsOld(dir: string, name: string, step: (name: string) => void): Promise<void> {
  const current = join(dir, name);
  if (!(await exists(current))) return;
  const old = `${current}.old`;
  await settle(old);
  const set = await readImageSet(current, await identityOf(current), () => sha256Of(current));
  const tmp = join(dir, `.${name}.old.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await link(current, tmp);
  try {
    if (set.sidecar && set.checksum) {
      await beginCommit(old, tmp, set.sidecar, step);
      step('pending checksum written');
      await rename(tmp, old);
      step('image renamed');
      await finishCommit(old, step);
      return;
    }
    // An image without tbx's sidecars (the seed's): the previous .old's must never describe it.
    for (const f of Object.values(sidecarPaths(old))) await unlink(f).catch(() => undefined);
    await syncDir(dir);
    await rename(tmp, old);
    if (set.checksum) await writeFileAtomic(`${old}.sha256`, `${set.checksum}  ${basename(old)}\n`);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Temp files of `<name>`'s image family (the image, `.old`, their sidecars) left in `dir` by a killed backup. */
const tempOf = (name: string) => new RegExp(`^\\.${name.replace(/\./g, '\\.')}(\\.old)?(\\.sha256|\\.disk\\.json)?(\\.next)?\\.tmp-\\d+-[0-9a-f]{8}$`);

/**
 * Remove what a killed backup of this image left behind (up to a disk's size each). Only this
 * box's agent writes in its directory, and one runs at a time, so none of them is live.
 */
async function sweepTempFiles(dir: string, name: string, options: BackupOptions): Promise<void> {
  const pattern = tempOf(name);
  const stale = (await readdir(dir).catch(() => [] as string[])).filter((n) => pattern.test(n));
  for (const n of stale) await unlink(join(dir, n)).catch(() => undefined);
  if (stale.length) options.log.info({ removed: stale }, 'removed temp files of an interrupted backup');
}

/**
 * The summary of the gzip image file `name` in `dir` (`sda.gz`, `sda.raw.gz`, or a kept
 * `sda.gz.old`), from the one consistent set of files that describes it; undefined when it
 * is not a regular file.
 */
export async function describeGzipImage(dir: string, name: string): Promise<ImageSummary | undefined> {
  const m = /^([a-z][a-z0-9]*)(\.raw)?\.gz(\.old)?$/.exec(name);
  if (!m) return undefined;
  const file = join(dir, name);
  const st = await lstat(file).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  const { sidecar } = await readImageSet(file, await identityOf(file), () => sha256Of(file));
  return {
    device: m[1]!,
    format: 'gzip',
    ref: name,
    createdAt: st.mtime.toISOString(),
    storedBytes: st.size,
    logicalBytes: sidecar?.size ?? null,
    sha256: sidecar?.sha256 ?? null,
    ...(sidecar ? { origin: originOf(sidecar) } : {}),
  };
}

function tap(fn: (b: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      fn(chunk);
      cb(null, chunk);
    },
  });
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
