import type { Logger } from '../../lib/logger.js';
import { describeError } from '../../lib/errors.js';
import { ImageIntegrityError } from '../store.js';
import { encodeChecks } from './frame-builder.js';
import type { Entry } from './index-file.js';
import { packPaths, type StorePaths } from './layout.js';
import { keyOf, type ChunkLocation, type ChunkMap, type Frame } from './pack-file.js';
import type { WorkerPool } from './worker-pool.js';

/** The chunks to write from each frame, every frame verified. */
export type FramePlan = Map<Frame, Array<{ e: Entry; loc: ChunkLocation }>>;

/**
 * Step 3 of a restore: pick a copy of every chunk to write and verify, before the first write,
 * every frame they come from. A frame is read and checked against its checksum, which vouches
 * for its chunks (the backup checked them before storing it); a frame of a pack written before
 * that check existed is decompressed too, and the chunks to write from it re-hashed. A copy
 * that fails is dropped and the next copy of its chunks (in another pack) is tried, until every
 * chunk has a verified copy or one has none: then the restore is refused, 0 bytes written.
 */
export async function chooseFrames(chunks: Entry[], map: ChunkMap, o: { store: StorePaths; pool: WorkerPool; log: Logger; what: string }): Promise<{ plan: FramePlan; verifiedBytes: number }> {
  const badFrames = new Map<Frame, string>();
  const badCopies = new Map<ChunkLocation, string>();
  /** Per frame: 'all' once its checksum vouches for it, else the chunks already re-hashed. */
  const verified = new Map<Frame, 'all' | Set<ChunkLocation>>();
  let verifiedBytes = 0;
  for (;;) {
    const plan: FramePlan = new Map();
    for (const e of chunks) {
      const copies = map.get(keyOf(e.digest)) ?? [];
      const loc = copies.find((c) => !badFrames.has(c.frame) && !badCopies.has(c));
      if (!loc) {
        const why = copies.map((c) => badFrames.get(c.frame) ?? badCopies.get(c)).join('; ');
        throw new ImageIntegrityError(`refusing to restore ${o.what}, 0 bytes written: chunk ${e.digest.toString('hex')} (disk offset ${e.offset}) has no intact copy in the chunk store${why ? ` (${why})` : ''}`);
      }
      (plan.get(loc.frame) ?? plan.set(loc.frame, []).get(loc.frame)!).push({ e, loc });
    }
    const todo = [...plan].filter(([f, list]) => {
      const v = verified.get(f);
      return v !== 'all' && !list.every(({ loc }) => v?.has(loc));
    });
    if (todo.length === 0) return { plan, verifiedBytes };
    await inPool(todo, o.pool, async ([f, list]) => {
      const deep = f.checked ? undefined : { rawLength: f.rawLength, checks: encodeChecks(list.map(({ e, loc }) => ({ digest: e.digest, inner: loc.inner, length: loc.length }))) };
      const r = await o.pool.run({ type: 'check-frame', pack: packPaths(o.store, f.pack).pack, offset: f.offset, length: f.storedLength, digest: f.digest, ...(deep ? { deep } : {}) }).catch((err: unknown) => ({ type: 'error' as const, err }));
      if (r.type !== 'check-frame' || !r.ok) {
        const why = `pack ${f.pack}: the frame at offset ${f.offset} (${f.storedLength} bytes) ${r.type === 'error' ? `cannot be read (${describeError(r.err)})` : 'does not match its checksum'}`;
        badFrames.set(f, why);
        o.log.warn({ pack: f.pack, offset: f.offset }, `${why}; using another copy of its chunks if there is one`);
        return;
      }
      verifiedBytes += f.storedLength;
      if (r.bad !== -1) {
        const bad = list[r.bad]!;
        const why = `pack ${f.pack}: the frame at offset ${f.offset} matches its checksum, but its chunk ${bad.e.digest.toString('hex')} does not match its digest`;
        badCopies.set(bad.loc, why);
        o.log.warn({ pack: f.pack, offset: f.offset }, `${why}; using another copy if there is one`);
        const v = verified.get(f);
        const ok = new Set(v === 'all' ? [] : v);
        for (const [i, { loc }] of list.entries()) if (i < r.bad) ok.add(loc);
        verified.set(f, ok);
        return;
      }
      if (f.checked) verified.set(f, 'all');
      else verified.set(f, new Set([...((verified.get(f) as Set<ChunkLocation> | undefined) ?? []), ...list.map(({ loc }) => loc)]));
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
