import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Random } from '../lib/random.js';

/** Stored file kinds the corruption suite damages, per image format. */
export const KINDS = {
  chunked: [
    { kind: '.pack', pattern: /^[0-9a-f]{32}\.pack$/ },
    { kind: '.pidx', pattern: /^[0-9a-f]{32}\.pidx$/ },
    { kind: '.tbxi', pattern: /^\d{8}\.tbxi$/ },
  ],
  gzip: [
    { kind: '.gz', pattern: /^sda\.gz$/ },
    { kind: '.sha256', pattern: /^sda\.gz\.sha256$/ },
    { kind: '.disk.json', pattern: /^sda\.gz\.disk\.json$/ },
  ],
} as const;

/** One flipped bit, to be flipped back. */
export interface Flip {
  file: string;
  offset: number;
  bit: number;
  size: number;
}

/** Every file under `dir` whose name matches `pattern`. */
export async function filesOf(dir: string, pattern: RegExp): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (pattern.test(e.name)) out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Flip one random bit of `file`; given a previous flip, flip that bit back. */
export async function flipBit(file: string, pick: Random | Flip): Promise<Flip> {
  const size = (await stat(file)).size;
  const flip = 'bit' in pick ? pick : { file, offset: pick.int(size), bit: pick.int(8), size };
  const fh = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, flip.offset);
    b[0]! ^= 1 << flip.bit;
    await fh.write(b, 0, 1, flip.offset);
  } finally {
    await fh.close();
  }
  return flip;
}

/** The names a verify report may use for `file`: its base name, and for packs the pack id. */
export function namesOf(file: string): string[] {
  const base = basename(file);
  const pack = /^([0-9a-f]{32})\.(pack|pidx)$/.exec(base);
  return pack ? [base, pack[1]!] : [base];
}

/** Bytes that differ between two equally long files (a restore that refused must have written none). */
export async function bytesDiffering(a: string, b: string): Promise<number> {
  const [fa, fb] = [await open(a, 'r'), await open(b, 'r')];
  try {
    const [ba, bb] = [Buffer.alloc(1 << 20), Buffer.alloc(1 << 20)];
    let differing = 0;
    for (let pos = 0; ; pos += ba.length) {
      const [ra, rb] = [await fa.read(ba, 0, ba.length, pos), await fb.read(bb, 0, bb.length, pos)];
      const n = Math.max(ra.bytesRead, rb.bytesRead);
      if (n === 0) break;
      if (ba.subarray(0, n).equals(bb.subarray(0, n))) continue;
      for (let i = 0; i < n; i++) if (ba[i] !== bb[i]) differing++;
    }
    return differing;
  } finally {
    await fa.close();
    await fb.close();
  }
}
