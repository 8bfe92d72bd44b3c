import { createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { lstat, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { syncDir, writeFileAtomic } from '../lib/atomic-write.js';
import type { ImageOrigin } from './store.js';

/**
 * The files beside a gzip image `<dev>.gz` and how a backup replaces them. A consistent set
 * is (image, `.sha256`, `.disk.json`): the checksum is the image's SHA-256, and the sidecar's
 * `gz` is that checksum. A backup cannot rename three files at once, so it first writes the
 * new set's sidecar as `<image>.disk.json.next` (the *pending* record, which also names the
 * new image file and the one it replaces by inode and size), then `.sha256.next`, then renames
 * the image (the commit point), then the checksum, then the sidecar. While a pending record
 * exists, the image file itself says which set is visible: its inode and size are the new
 * image's (rolled forward) or the old one's (rolled back). Readers never mix two sets.
 */

/** What a sidecar records: the disk (identity gate), its raw SHA-256 and the `.gz`'s SHA-256. */
export type DiskSidecar = ImageOrigin & { sha256: string | null; gz: string };

/** A file by inode and size (inode as a string: NFS file ids can exceed 2^53). */
export interface FileIdentity {
  ino: string;
  bytes: number;
}

/** The pending record: the new set's sidecar, the new image file and the file it replaces. */
type Pending = DiskSidecar & { image: FileIdentity; replaces: FileIdentity | null };

/** The one set of files that describes the image file as it is now. */
export interface ImageSet {
  /** The image's expected SHA-256, or null (a seed image without sidecars). */
  checksum: string | null;
  /** The sidecar tied to that checksum, if there is one. */
  sidecar?: DiskSidecar;
  /** `settled`: no backup was interrupted; `new`/`old`: one was, and this set is the new or the old one. */
  state: 'settled' | 'new' | 'old';
  /** The set's `.sha256` or `.disk.json` exists but cannot be trusted (unreadable, or its own check fails): why. */
  damaged?: string;
}

/** `.sha256`, `.sha256.next`, `.disk.json`, `.disk.json.next` of an image. */
export function sidecarPaths(file: string): { sum: string; sumNext: string; disk: string; diskNext: string } {
  return { sum: `${file}.sha256`, sumNext: `${file}.sha256.next`, disk: `${file}.disk.json`, diskNext: `${file}.disk.json.next` };
}

/** The identity of an open or named file. */
export async function identityOf(file: string | FileHandle): Promise<FileIdentity | null> {
  const st: BigIntStats | undefined = typeof file === 'string' ? await lstat(file, { bigint: true }).catch(() => undefined) : await file.stat({ bigint: true });
  return st ? { ino: st.ino.toString(), bytes: Number(st.size) } : null;
}

const same = (a: FileIdentity | null | undefined, b: FileIdentity | null | undefined) => !!a && !!b && a.ino === b.ino && a.bytes === b.bytes;

/**
 * The set that describes `file` now. `current` is the image's identity (of the handle about
 * to be read, or of the path). Only when a pending record cannot tell which set is visible
 * (an interrupted backup of an older tbx, or a share copied with new inode numbers) is the
 * image hashed, with `hash`.
 */
export async function readImageSet(file: string, current: FileIdentity | null, hash: () => Promise<string>): Promise<ImageSet> {
  const p = sidecarPaths(file);
  const sumFile = await readChecksum(p.sum);
  const sum = sumFile.checksum;
  const sumNext = (await readChecksum(p.sumNext)).checksum;
  const diskFile = readSidecar(await readFile(p.disk, 'utf8').catch(() => undefined), p.disk);
  const disk = diskFile.sidecar;
  const trust = { ...(sumFile.damaged || diskFile.damaged ? { damaged: (sumFile.damaged ?? diskFile.damaged)! } : {}) };
  const nextText = await readFile(p.diskNext, 'utf8').catch(() => undefined);
  const pending = nextText === undefined ? undefined : parsePending(nextText);
  const tied = (checksum: string | null, ...sidecars: Array<DiskSidecar | undefined>) => sidecars.find((s) => s && checksum !== null && s.gz === checksum);
  if (nextText === undefined && sumNext === null) {
    const split = sum !== null && disk && !trust.damaged && disk.gz !== sum ? whichSidecar(p, sum, disk.gz, await hash()) : undefined;
    return { checksum: sum, ...opt(tied(sum, disk)), state: 'settled', ...trust, ...(split ? { damaged: split } : {}) };
  }
  // No image file: a first backup was interrupted before its commit point.
  if (current === null) return { checksum: null, state: 'old' };
  if (pending && same(pending.image, current)) return { checksum: pending.gz, sidecar: strip(pending), state: 'new' };
  if (pending && same(pending.replaces, current)) return { checksum: sum, ...opt(tied(sum, disk)), state: 'old', ...trust };
  // Cannot tell from the file: the image's own hash picks the set.
  const actual = await hash();
  const candidates: Array<[string | null, ImageSet['state']]> = [[sum, 'old'], [sumNext, 'new'], [pending?.gz ?? null, 'new']];
  const hit = candidates.find(([c]) => c === actual);
  const nextSidecar = nextText === undefined ? undefined : readSidecar(nextText, p.diskNext).sidecar;
  if (hit) return { checksum: actual, ...opt(tied(actual, disk, nextSidecar)), state: hit[1] };
  return { checksum: sum ?? sumNext, state: 'old' };
}

/**
 * A settled set whose `.sha256` and `.disk.json` disagree about the image's SHA-256: the image's
 * own hash tells which of the two is damaged. Undefined when it matches neither (the image
 * itself is damaged, which the checksum check then reports).
 */
function whichSidecar(p: ReturnType<typeof sidecarPaths>, sum: string, gz: string, actual: string): string | undefined {
  if (actual === gz) return `${p.sum} is damaged: it records sha256 ${sum}, but the image hashes to ${actual}, as ${basename(p.disk)} records`;
  if (actual === sum) return `${p.disk} does not belong to this image: it records sha256 ${gz} for it, but the image hashes to ${actual}, as ${basename(p.sum)} records`;
  return undefined;
}

/**
 * Start replacing the set of `file` with the image now at `tmp`: write the pending record and
 * the pending checksum. From here until {@link finishCommit}, readers tell the sets apart by
 * the image file (see {@link readImageSet}).
 */
export async function beginCommit(file: string, tmp: string, sidecar: DiskSidecar, step: (name: string) => void = () => undefined): Promise<void> {
  const p = sidecarPaths(file);
  const pending: Pending = { ...sidecar, image: (await identityOf(tmp))!, replaces: await identityOf(file) };
  await writeFileAtomic(p.diskNext, formatSidecar(pending));
  step('pending sidecar written');
  await writeFileAtomic(p.sumNext, `${sidecar.gz}  ${basename(file)}\n`);
}

/** After the image was renamed into place: the pending checksum and sidecar become the current ones. */
export async function finishCommit(file: string, step: (name: string) => void = () => undefined): Promise<void> {
  const p = sidecarPaths(file);
  await rename(p.sumNext, p.sum);
  step('checksum renamed');
  await rename(p.diskNext, p.disk);
  step('sidecar renamed');
}

/**
 * Finish or undo what an interrupted backup left beside `file`, so that the next backup (which
 * keeps the current set as `.old`) starts from one consistent set. Returns what it did.
 */
export async function settle(file: string): Promise<'settled' | 'rolled forward' | 'rolled back'> {
  const p = sidecarPaths(file);
  const set = await readImageSet(file, await identityOf(file), () => sha256Of(file));
  if (set.state === 'settled') return 'settled';
  if (set.state === 'new' && set.checksum) {
    await writeFileAtomic(p.sum, `${set.checksum}  ${basename(file)}\n`);
    if (set.sidecar) await writeFileAtomic(p.disk, formatSidecar(set.sidecar));
  }
  await unlink(p.sumNext).catch(() => undefined);
  await unlink(p.diskNext).catch(() => undefined);
  await syncDir(dirname(file));
  return set.state === 'new' ? 'rolled forward' : 'rolled back';
}

/** SHA-256 of a file (by name or open handle; a handle is read from offset 0 and left open). */
export async function sha256Of(file: string | FileHandle, length?: number): Promise<string> {
  const h = createHash('sha256');
  if (length === 0) return h.digest('hex');
  const range = length !== undefined ? { end: length - 1 } : {};
  const stream = typeof file === 'string' ? createReadStream(file, { highWaterMark: 1 << 20, ...range }) : file.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20, ...range });
  for await (const b of stream) h.update(b as Buffer);
  return h.digest('hex');
}

/** A `.sha256` file: its checksum, none when the file is absent, or why it is damaged when present but unreadable. */
async function readChecksum(path: string): Promise<{ checksum: string | null; damaged?: string }> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return { checksum: null };
  const m = /^([0-9a-f]{64})\s/.exec(text);
  // Present but not a sha256sum line: damage, never "a seed image without a checksum".
  return m ? { checksum: m[1]! } : { checksum: null, damaged: `${path} is not a sha256sum line (damaged?)` };
}

/**
 * A sidecar as tbx writes it: the JSON of its fields, then `check`, the SHA-256 of that JSON,
 * so a flipped bit in a size, serial or digest is found before a restore trusts it.
 */
export function formatSidecar(fields: object): string {
  const body = JSON.stringify(fields);
  return `${JSON.stringify({ ...fields, check: createHash('sha256').update(body).digest('hex') })}\n`;
}

/**
 * A sidecar file's content: the sidecar, nothing when the file is absent, or why it is
 * damaged (not JSON, fields malformed, or its `check` fails). Sidecars written before the
 * check existed are read without one.
 */
export function readSidecar(text: string | undefined, path: string): { sidecar?: DiskSidecar; damaged?: string } {
  if (text === undefined) return {};
  const damaged = { damaged: `${path} is damaged (its own check fails or it does not parse)` };
  try {
    const { check, ...fields } = JSON.parse(text) as Record<string, unknown>;
    if (check !== undefined && check !== createHash('sha256').update(JSON.stringify(fields)).digest('hex')) return damaged;
  } catch {
    return damaged;
  }
  const sidecar = parseSidecar(text);
  return sidecar ? { sidecar } : damaged;
}

function opt(sidecar: DiskSidecar | undefined): { sidecar?: DiskSidecar } {
  return sidecar ? { sidecar } : {};
}

function strip(p: Pending): DiskSidecar {
  const { image: _image, replaces: _replaces, ...sidecar } = p;
  return sidecar;
}

function parsePending(text: string): Pending | undefined {
  const sidecar = readSidecar(text, '').sidecar;
  if (!sidecar) return undefined;
  const v = JSON.parse(text) as { image?: unknown; replaces?: unknown };
  const id = (x: unknown): FileIdentity | null | undefined => {
    if (x === null) return null;
    const o = x as Partial<FileIdentity> | undefined;
    return o && typeof o.ino === 'string' && /^\d+$/.test(o.ino) && Number.isSafeInteger(o.bytes) ? { ino: o.ino, bytes: o.bytes! } : undefined;
  };
  const image = id(v.image);
  const replaces = id(v.replaces);
  return image && replaces !== undefined ? { ...sidecar, image, replaces } : undefined;
}

/** A sidecar's fields, checked; anything malformed is no sidecar. */
export function parseSidecar(text: string): DiskSidecar | undefined {
  try {
    const v = JSON.parse(text) as Partial<DiskSidecar>;
    if (typeof v.gz !== 'string' || !/^[0-9a-f]{64}$/.test(v.gz)) return undefined;
    if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) return undefined;
    const str = (x: unknown) => (typeof x === 'string' && x.length <= 255 ? x : undefined);
    const out: DiskSidecar = { size: v.size, gz: v.gz, sha256: typeof v.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256) ? v.sha256 : null };
    for (const k of ['model', 'serial', 'ip', 'name', 'request'] as const) {
      const s = str(v[k]);
      if (s) out[k] = s;
    }
    return out;
  } catch {
    return undefined;
  }
}

/** The disk identity a sidecar records (for the restore identity gate). */
export function originOf(s: DiskSidecar): ImageOrigin {
  const { sha256: _sha, gz: _gz, ...origin } = s;
  return origin;
}
