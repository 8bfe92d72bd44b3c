import type { FileHandle } from 'node:fs/promises';
import type { FreeSpace } from './ext4.js';

/** MFT records tbx reads: the MFT itself, the log, the volume information, the cluster bitmap. */
const RECORD = { mft: 0, logFile: 2, volume: 3, bitmap: 6 } as const;
const ATTR = { attributeList: 0x20, volumeInformation: 0x70, data: 0x80, end: 0xffffffff } as const;
const VOLUME_IS_DIRTY = 0x0001;
const RESTART_VOLUME_IS_CLEAN = 0x0002;
const LOGFILE_NO_CLIENT = 0xffff;

/** A run of a non-resident attribute: `length` clusters at `lcn` (null: sparse). */
interface Run {
  lcn: number | null;
  length: number;
}

/** The volume as its boot sector describes it. */
interface Volume {
  fh: FileHandle;
  base: number;
  clusterSize: number;
  clusters: number;
  mftLcn: number;
  recordSize: number;
}

/** Why an NTFS volume was not understood; {@link ntfsFreeSpace} turns it into `ok: false`. */
class NotUnderstood extends Error {}

/**
 * The free clusters of an NTFS volume at byte `base` of a disk, read from its `$Bitmap` the
 * way ntfsclone (partclone.ntfs) does. Refused, so the volume is read whole: a volume marked
 * dirty, one whose `$LogFile` still holds changes not yet applied (a crash, or Windows'
 * hibernation and "fast startup"), NTFS before 3.0, MFT records that fail their update
 * sequence check, a `$Bitmap` spread over an attribute list or with sparse runs, and a bitmap
 * that calls free any cluster the boot sector, the MFT, its mirror, the log or the bitmap
 * itself occupies. Free runs are shrunk to whole 4 KiB blocks (clusters may be smaller).
 */
export async function ntfsFreeSpace(fh: FileHandle, base: number, length: number): Promise<FreeSpace> {
  try {
    const boot = Buffer.alloc(512);
    await fh.read(boot, 0, 512, base);
    if (boot.toString('latin1', 3, 11) !== 'NTFS    ' || boot.readUInt16LE(510) !== 0xaa55) return { ok: false, why: 'no NTFS boot sector', absent: true };
    const vol = volumeOf(fh, base, boot, length);
    const mft = await readRecord(vol, RECORD.mft);
    const mftRuns = nonResidentRuns(dataAttribute(mft, '$MFT'), '$MFT');
    const first = mftRuns[0];
    if (!first || first.lcn !== vol.mftLcn || first.length * vol.clusterSize < 16 * vol.recordSize) throw new NotUnderstood('the MFT does not start where the boot sector says');
    const mirror = Number(boot.readBigUInt64LE(0x38));
    await checkMirror(vol, mft, mirror);
    await checkVolumeClean(vol);
    const logRuns = nonResidentRuns(dataAttribute(await readRecord(vol, RECORD.logFile), '$LogFile'), '$LogFile');
    await checkLogClean(vol, logRuns);
    const bitmapRecord = await readRecord(vol, RECORD.bitmap);
    const bitmapAttr = dataAttribute(bitmapRecord, '$Bitmap');
    const bitmapRuns = bitmapAttr[8] ? nonResidentRuns(bitmapAttr, '$Bitmap') : [];
    const bitmap = await readBitmap(vol, bitmapAttr, bitmapRuns);
    const inUse = (c: number) => (bitmap[c >> 3]! & (1 << (c & 7))) !== 0;
    for (const [what, runs] of [['the boot sector', [{ lcn: 0, length: 1 }]], ['the MFT mirror', [{ lcn: mirror, length: 1 }]], ['the MFT', mftRuns], ['$LogFile', logRuns], ['$Bitmap', bitmapRuns]] as Array<[string, Run[]]>) {
      for (const r of runs) {
        if (r.lcn === null) continue;
        for (let c = r.lcn; c < r.lcn + r.length; c++) {
          if (c >= vol.clusters || !inUse(c)) throw new NotUnderstood(`its $Bitmap marks cluster ${c} of ${what} free (inconsistent; run chkdsk)`);
        }
      }
    }
    return freeRuns(vol, bitmap);
  } catch (err) {
    if (err instanceof NotUnderstood) return { ok: false, why: `NTFS ${err.message}` };
    throw err;
  }
}

function volumeOf(fh: FileHandle, base: number, boot: Buffer, length: number): Volume {
  const sectorSize = boot.readUInt16LE(0x0b);
  const spc = boot[0x0d]!;
  const clusterSize = spc > 0x80 ? sectorSize << (256 - spc) : sectorSize * spc;
  const sectors = Number(boot.readBigUInt64LE(0x28));
  const cpr = boot.readInt8(0x40);
  const recordSize = cpr > 0 ? cpr * clusterSize : 2 ** -cpr;
  if (![512, 1024, 2048, 4096].includes(sectorSize) || clusterSize < sectorSize || clusterSize > 2 * 1024 * 1024 || recordSize < 1024 || recordSize > 65536) {
    throw new NotUnderstood(`geometry not understood (sector ${sectorSize}, cluster ${clusterSize}, MFT record ${recordSize} bytes)`);
  }
  if (sectors * sectorSize > length) throw new NotUnderstood('volume is larger than its partition');
  return { fh, base, clusterSize, clusters: Math.floor((sectors * sectorSize) / clusterSize), mftLcn: Number(boot.readBigUInt64LE(0x30)), recordSize };
}

/**
 * MFT record `n` with its update sequence applied; the first 16 records lie in the MFT's
 * first run. `from`: the LCN of the MFT, or of its mirror (records 0 to 3).
 */
async function readRecord(vol: Volume, n: number, from = vol.mftLcn): Promise<Buffer> {
  const rec = Buffer.alloc(vol.recordSize);
  const { bytesRead } = await vol.fh.read(rec, 0, rec.length, vol.base + from * vol.clusterSize + n * vol.recordSize);
  if (bytesRead !== rec.length || rec.toString('latin1', 0, 4) !== 'FILE') throw new NotUnderstood(`MFT record ${n} is not a FILE record`);
  applyFixups(rec, `MFT record ${n}`);
  if ((rec.readUInt16LE(0x16) & 1) === 0) throw new NotUnderstood(`MFT record ${n} is not in use`);
  if (rec.readUInt16LE(0x04) >= 0x30 && rec.readUInt32LE(0x2c) !== n) throw new NotUnderstood(`MFT record ${n} says it is record ${rec.readUInt32LE(0x2c)}`);
  return rec;
}

/**
 * Undo NTFS's multi-sector protection: the last two bytes of every 512-byte sector were
 * replaced by the update sequence number, and the originals kept in the update sequence
 * array. A sector whose tail does not hold the number was torn by an interrupted write.
 */
function applyFixups(buf: Buffer, what: string): void {
  const at = buf.readUInt16LE(4);
  const count = buf.readUInt16LE(6);
  if (count !== buf.length / 512 + 1 || at + count * 2 > 512) throw new NotUnderstood(`${what} has a bad update sequence array`);
  const usn = buf.readUInt16LE(at);
  for (let i = 1; i < count; i++) {
    if (buf.readUInt16LE(i * 512 - 2) !== usn) throw new NotUnderstood(`${what} is torn (update sequence mismatch in sector ${i - 1})`);
    buf.writeUInt16LE(buf.readUInt16LE(at + i * 2), i * 512 - 2);
  }
}

/** The record's attributes, in order. */
function attributes(rec: Buffer, what: string): Array<{ type: number; attr: Buffer }> {
  const out: Array<{ type: number; attr: Buffer }> = [];
  const used = Math.min(rec.readUInt32LE(0x18), rec.length);
  for (let p = rec.readUInt16LE(0x14); p + 4 <= used; ) {
    const type = rec.readUInt32LE(p);
    if (type === ATTR.end) return out;
    const len = p + 8 <= used ? rec.readUInt32LE(p + 4) : 0;
    if (len < 0x18 || p + len > used) throw new NotUnderstood(`${what}'s attributes are malformed`);
    out.push({ type, attr: rec.subarray(p, p + len) });
    p += len;
  }
  throw new NotUnderstood(`${what}'s attributes have no end marker`);
}

/** The unnamed, uncompressed `$DATA` attribute of a record whose data is all in this record. */
function dataAttribute(rec: Buffer, what: string): Buffer {
  const attrs = attributes(rec, what);
  if (attrs.some((a) => a.type === ATTR.attributeList)) throw new NotUnderstood(`${what} is spread over an attribute list (not understood)`);
  const data = attrs.find((a) => a.type === ATTR.data && a.attr[9] === 0)?.attr;
  if (!data) throw new NotUnderstood(`${what} has no data attribute`);
  if (data.readUInt16LE(0x0c) & 0x00ff) throw new NotUnderstood(`${what} is compressed`);
  return data;
}

/** The runs of a non-resident attribute, from VCN 0 on. */
function nonResidentRuns(attr: Buffer, what: string): Run[] {
  if (!attr[8] || attr.length < 0x40 || attr.readBigUInt64LE(0x10) !== 0n) throw new NotUnderstood(`${what}'s data is not a plain non-resident attribute`);
  const runs: Run[] = [];
  let lcn = 0;
  for (let p = attr.readUInt16LE(0x20); p < attr.length && attr[p] !== 0; ) {
    const lb = attr[p]! & 0x0f;
    const ob = attr[p]! >> 4;
    p++;
    if (lb === 0 || lb > 8 || ob > 8 || p + lb + ob > attr.length) throw new NotUnderstood(`${what}'s run list is malformed`);
    const length = Number(intLE(attr, p, lb, false));
    p += lb;
    if (ob === 0) {
      runs.push({ lcn: null, length });
      continue;
    }
    lcn += Number(intLE(attr, p, ob, true));
    p += ob;
    if (lcn < 0) throw new NotUnderstood(`${what}'s run list points before the volume`);
    runs.push({ lcn, length });
  }
  return runs;
}

function intLE(buf: Buffer, at: number, n: number, signed: boolean): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[at + i]!);
  return signed && buf[at + n - 1]! & 0x80 ? v - (1n << BigInt(8 * n)) : v;
}

/** Records 0 to 3 must read the same in `$MFTMirr` (ntfs-3g refuses to mount otherwise). */
async function checkMirror(vol: Volume, mft: Buffer, mirror: number): Promise<void> {
  if (mirror <= 0 || mirror >= vol.clusters) throw new NotUnderstood('the MFT mirror lies outside the volume');
  for (let n = 0; n < 4; n++) {
    const rec = n === 0 ? mft : await readRecord(vol, n);
    const copy = await readRecord(vol, n, mirror).catch(() => undefined);
    const used = rec.readUInt32LE(0x18);
    if (!copy || !copy.subarray(0, used).equals(rec.subarray(0, used))) throw new NotUnderstood(`$MFTMirr does not match the MFT (record ${n}; run chkdsk)`);
  }
}

/** `$Volume`'s flags: a dirty volume is waiting for chkdsk. NTFS 1.x/2.x (NT 4) is not read. */
async function checkVolumeClean(vol: Volume): Promise<void> {
  const info = attributes(await readRecord(vol, RECORD.volume), '$Volume').find((a) => a.type === ATTR.volumeInformation)?.attr;
  if (!info || info[8] !== 0) throw new NotUnderstood('$Volume has no resident volume information');
  const value = info.subarray(info.readUInt16LE(0x14), info.readUInt16LE(0x14) + info.readUInt32LE(0x10));
  if (value.length < 12) throw new NotUnderstood('$Volume information is too short');
  if (value[8]! < 3) throw new NotUnderstood(`version ${value[8]}.${value[9]} is not understood (only 3.x)`);
  if (value.readUInt16LE(0x0a) & VOLUME_IS_DIRTY) throw new NotUnderstood('volume is marked dirty (run chkdsk first)');
}

/**
 * Both restart pages of `$LogFile`: a log with a client that did not close cleanly holds
 * metadata changes the bitmap may not show yet (Windows crashed, hibernated or shut down with
 * "fast startup"). An empty log (all 0xff, as mkntfs and ntfs-3g leave it) is clean.
 */
async function checkLogClean(vol: Volume, runs: Run[]): Promise<void> {
  const first = runs[0];
  if (!first || first.lcn === null || first.length * vol.clusterSize < 32768) throw new NotUnderstood('$LogFile is too small');
  const at = vol.base + first.lcn * vol.clusterSize;
  // The second restart page follows the first, one "system page" (4 KiB on x86) later.
  const page0 = await readPage(vol, at);
  const second = page0.toString('latin1', 0, 4) === 'RSTR' ? page0.readUInt32LE(0x10) : 4096;
  if (![4096, 8192, 16384].includes(second)) throw new NotUnderstood(`$LogFile restart page size ${second} is not understood`);
  for (const [offset, page] of [[0, page0], [second, await readPage(vol, at + second)]] as Array<[number, Buffer]>) {
    if (page.every((b) => b === 0xff)) continue;
    const magic = page.toString('latin1', 0, 4);
    if (magic === 'CHKD') throw new NotUnderstood('$LogFile was marked by chkdsk (run chkdsk again)');
    if (magic !== 'RSTR') throw new NotUnderstood(`$LogFile has no restart page at offset ${offset}`);
    // The restart area's header lies in the page's first sector, before the first fixup position.
    const ra = page.readUInt16LE(0x18);
    if (ra + 0x10 > 510) throw new NotUnderstood('$LogFile restart area is not understood');
    const inUse = page.readUInt16LE(ra + 0x0c);
    const flags = page.readUInt16LE(ra + 0x0e);
    if (inUse !== LOGFILE_NO_CLIENT && !(flags & RESTART_VOLUME_IS_CLEAN)) throw new NotUnderstood('$LogFile holds changes not yet applied (Windows crashed, hibernated, or used "fast startup"; shut it down fully)');
  }
}

async function readPage(vol: Volume, at: number): Promise<Buffer> {
  const page = Buffer.alloc(4096);
  const { bytesRead } = await vol.fh.read(page, 0, page.length, at);
  if (bytesRead !== page.length) throw new NotUnderstood('$LogFile could not be read');
  return page;
}

/** The first ceil(clusters / 8) bytes of `$Bitmap`. */
async function readBitmap(vol: Volume, attr: Buffer, runs: Run[]): Promise<Buffer> {
  const want = Math.ceil(vol.clusters / 8);
  if (!attr[8]) {
    const value = attr.subarray(attr.readUInt16LE(0x14), attr.readUInt16LE(0x14) + attr.readUInt32LE(0x10));
    if (value.length < want) throw new NotUnderstood(`$Bitmap holds ${value.length} bytes, the volume needs ${want}`);
    return Buffer.from(value.subarray(0, want));
  }
  if (Number(attr.readBigUInt64LE(0x30)) < want) throw new NotUnderstood(`$Bitmap holds ${attr.readBigUInt64LE(0x30)} bytes, the volume needs ${want}`);
  const bitmap = Buffer.alloc(want);
  let got = 0;
  for (const r of runs) {
    if (got >= want) break;
    if (r.lcn === null) throw new NotUnderstood('$Bitmap is sparse');
    const n = Math.min(want - got, r.length * vol.clusterSize);
    const { bytesRead } = await vol.fh.read(bitmap, got, n, vol.base + r.lcn * vol.clusterSize);
    if (bytesRead !== n) throw new NotUnderstood('$Bitmap could not be read whole');
    got += n;
  }
  if (got < want) throw new NotUnderstood('$Bitmap runs are shorter than its size');
  return bitmap;
}

/** Free clusters as byte ranges of the disk, shrunk to whole 4 KiB blocks. */
function freeRuns(vol: Volume, bitmap: Buffer): FreeSpace {
  const free: Array<[number, number]> = [];
  let freeBytes = 0;
  const add = (from: number, to: number) => {
    const s = Math.ceil((vol.base + from * vol.clusterSize) / 4096) * 4096;
    const e = Math.floor((vol.base + to * vol.clusterSize) / 4096) * 4096;
    if (e <= s) return;
    free.push([s, e - s]);
    freeBytes += e - s;
  };
  let runStart = -1;
  let c = 0;
  const step = (at: number, used: boolean, n: number) => {
    if (!used && runStart < 0) runStart = at;
    if (used && runStart >= 0) {
      add(runStart, at);
      runStart = -1;
    }
    c += n;
  };
  while (c < vol.clusters) {
    const byte = bitmap[c >> 3]!;
    if ((c & 7) === 0 && c + 8 <= vol.clusters && (byte === 0 || byte === 0xff)) {
      step(c, byte === 0xff, 8);
      continue;
    }
    step(c, (byte & (1 << (c & 7))) !== 0, 1);
  }
  if (runStart >= 0) add(runStart, vol.clusters);
  return { ok: true, free, freeBytes };
}
