import type { Logger } from '../../lib/logger.js';
import { describeError } from '../../lib/errors.js';
import { ImageIntegrityError } from '../store.js';
import { PENDING, type ChunkIndex } from './chunk-index.js';
import { encodeChecks } from './frame-builder.js';
import type { GenerationFile } from './generation-file.js';
import { ENTRY, KIND } from './index-file.js';
import { packPaths } from './layout.js';
import { writesData, type Diff } from './restore-scan.js';
import type { WorkerPool } from './worker-pool.js';

/** Which frame each chunk to write comes from: the first copy that was not found damaged. */
export interface Choice {
  /** The frame to read the chunk whose digest is at `buf[off..)` from, or -1. */
  pick(buf: Uint8Array, off: number): number;
  /** Compressed bytes read and checked. */
  verifiedBytes: number;
  /** Frames checked. */
  frames: number;
}

/**
 * Step 3 of a restore: pick a copy of every chunk to write and verify, before the first write,
 * every frame they come from. A frame is read and checked against its checksum, which vouches
 * for its chunks (the backup checked them before storing it); a frame of a pack written before
 * that check existed is decompressed too and every chunk in it re-hashed. A copy that fails is
 * dropped and the next copy of its chunks (in another pack) is tried, until every chunk has a
 * verified copy or one has none: then the restore is refused, 0 bytes written. The entries
 * are read in windows; what is kept is a byte or two per frame of the store.
 */
export async function chooseFrames(gen: GenerationFile, diff: Diff, index: ChunkIndex, o: { pool: WorkerPool; log: Logger; what: string }): Promise<Choice> {
  const n = index.frameCount;
  const badFrame = new Uint8Array(n);
  const verified = new Uint8Array(n);
  /** Why a frame, or one chunk in a frame (`<frame>:<digest>`), is not used. */
  const why = new Map<number | string, string>();
  const pick = (buf: Uint8Array, off: number): number => {
    for (let h = index.table.first(buf, off); h >= 0; h = index.table.next(h)) {
      const f = index.table.value(h);
      if (f === PENDING || badFrame[f]) continue;
      if (why.size && why.has(`${f}:${Buffer.from(buf.subarray(off, off + 32)).toString('hex')}`)) continue;
      return f;
    }
    return -1;
  };
  const choice: Choice = { pick, verifiedBytes: 0, frames: 0 };
  for (;;) {
    const needed = new Uint8Array(n);
    for await (const { first, entries } of gen.windows()) {
      for (let j = 0, o2 = 0; o2 < entries.length; j++, o2 += ENTRY) {
        if (entries.readUInt32LE(o2 + 12) !== KIND.data || !writesData(diff, first + j)) continue;
        const f = pick(entries, o2 + 16);
        if (f >= 0) {
          needed[f] = 1;
          continue;
        }
        const digest = entries.subarray(o2 + 16, o2 + 48).toString('hex');
        const reasons: string[] = [];
        for (let h = index.table.first(entries, o2 + 16); h >= 0; h = index.table.next(h)) {
          const r = why.get(index.table.value(h)) ?? why.get(`${index.table.value(h)}:${digest}`);
          if (r) reasons.push(r);
        }
        const at = entries.readUInt32LE(o2) + entries.readUInt32LE(o2 + 4) * 0x100000000;
        throw new ImageIntegrityError(`refusing to restore ${o.what}, 0 bytes written: chunk ${digest} (disk offset ${at}) has no intact copy in the chunk store${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
      }
    }
    const todo: number[] = [];
    for (let f = 0; f < n; f++) if (needed[f] && !verified[f]) todo.push(f);
    if (todo.length === 0) return choice;
    await inPool(todo, o.pool, async (f) => {
      const fr = index.frame(f);
      const chunks = fr.checked ? [] : await index.chunksOf(f);
      const deep = fr.checked ? undefined : { rawLength: fr.rawLength, checks: encodeChecks(chunks) };
      const r = await o.pool.run({ type: 'check-frame', pack: packPaths(index.store, fr.pack).pack, offset: fr.offset, length: fr.storedLength, digest: fr.digest, ...(deep ? { deep } : {}) }).catch((err: unknown) => ({ type: 'error' as const, err }));
      if (r.type !== 'check-frame' || !r.ok) {
        badFrame[f] = 1;
        why.set(f, `pack ${fr.pack}: the frame at offset ${fr.offset} (${fr.storedLength} bytes) ${r.type === 'error' ? `cannot be read (${describeError(r.err)})` : 'does not match its checksum'}`);
        o.log.warn({ pack: fr.pack, offset: fr.offset }, `${why.get(f)}; using another copy of its chunks if there is one`);
        return;
      }
      verified[f] = 1;
      choice.verifiedBytes += fr.storedLength;
      choice.frames++;
      for (const i of r.bad) {
        const digest = chunks[i]!.digest.toString('hex');
        const reason = `pack ${fr.pack}: the frame at offset ${fr.offset} matches its checksum, but its chunk ${digest} does not match its digest`;
        why.set(`${f}:${digest}`, reason);
        o.log.warn({ pack: fr.pack, offset: fr.offset }, `${reason}; using another copy if there is one`);
      }
    });
  }
}

/** Run `fn` over `items` with as many in flight as keep the pool busy. */
export async function inPool<T>(items: T[], pool: WorkerPool, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, pool.size * 2) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}
