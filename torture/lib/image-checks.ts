import { randomFillSync } from 'node:crypto';
import { copyFile, mkdir, open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { restoreDisks } from '../../agent/actions.js';
import { SeedLog } from '../../agent/seed-log.js';
import { verifyImages } from '../../imaging/chunked/verify.js';
import { WorkerPool } from '../../imaging/chunked/worker-pool.js';
import { describeGzipImage, GzipStore } from '../../imaging/gzip-store.js';
import { allStores } from '../../imaging/stores.js';
import { verifyGzipImages } from '../../imaging/verify-gzip.js';
import { describeError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/logger.js';
import { readSpooledStatus } from '../../share/spool.js';
import type { TestboxStatus } from '../../schema/types.js';
import type { AgentBox } from '../../test/helpers/agent-box.js';
import { sha256File } from '../../test/helpers/disks.js';

/** What restoring an image onto a garbage disk gave. */
export interface RestoreCheck {
  /** SHA-256 of the disk after a successful restore. */
  sha256?: string;
  /** The image restored (its ref), when one was. */
  image?: string;
  /** Why it failed (a refusal or an error). */
  error?: string;
  /** The share holds no image of the disk at all. */
  none?: boolean;
}

/** A spare disk with the box's identity (size, model, serial), overwritten with garbage before each restore. */
export interface Checker {
  /**
   * Restore `sda` of the box whose share directory is `dir` onto the garbage disk with the
   * agent's own code (restoreDisks: the image a box's restore would pick, verified first),
   * or generation `generation`, or the gzip file `gzipRef` (e.g. `sda.gz.old`).
   */
  restore(dir: string, pick?: { generation?: number; gzipRef?: string }): Promise<RestoreCheck>;
}

/** Make a checker for `box`'s disk `sda` under `root`. */
export async function makeChecker(root: string, box: AgentBox): Promise<Checker> {
  const sysBlock = join(root, 'sys', 'block');
  const devDir = join(root, 'dev');
  await mkdir(join(sysBlock, 'sda', 'device'), { recursive: true });
  await mkdir(devDir, { recursive: true });
  for (const f of ['size', 'removable', 'device/model', 'device/serial']) await copyFile(join(box.sysBlock, 'sda', f), join(sysBlock, 'sda', f));
  const size = (await stat(box.disk('sda'))).size;
  const disk = join(devDir, 'sda');
  const garbage = async () => {
    const junk = randomFillSync(Buffer.alloc(1 << 20));
    const fh = await open(disk, 'w');
    try {
      for (let o = 0; o < size; o += junk.length) await fh.write(junk, 0, Math.min(junk.length, size - o), o);
    } finally {
      await fh.close();
    }
  };
  const quiet = new SeedLog(() => new Date(), { out: () => undefined, err: () => undefined });
  return {
    async restore(dir, pick = {}) {
      await garbage();
      try {
        if (pick.gzipRef) {
          // The store's own summary of the file, as a box's restore would list it.
          const image = await describeGzipImage(dir, pick.gzipRef);
          if (!image) return { error: `${pick.gzipRef} is not an image file` };
          await new GzipStore().restore(image, { device: 'sda', path: disk, size }, dir, { log: silentLogger() });
          return { sha256: await sha256File(disk), image: pick.gzipRef };
        }
        const stores = allStores({ workers: 0 });
        if (!pick.generation && (await Promise.all(stores.map((s) => s.list(dir)))).flat().length === 0) return { none: true };
        const [r] = await restoreDisks({
          boxDir: dir,
          disks: ['sda'],
          paths: { sysBlock, devDir },
          stores,
          writeStore: stores[0]!,
          seedLog: quiet,
          log: silentLogger(),
          box: { ip: basename(dir) },
          ...(pick.generation ? { generation: pick.generation } : {}),
        });
        return { sha256: await sha256File(disk), ...(r ? { image: r.image } : {}) };
      } catch (err) {
        return { error: describeError(err) };
      }
    },
  };
}

/** Every problem `tbx image verify` would report for the box `ip` (chunked generations and gzip files). */
export async function verifyBox(backupRoot: string, ip: string): Promise<string[]> {
  const pool = new WorkerPool(0);
  try {
    const chunked = await verifyImages(backupRoot, { ips: [ip], pool, log: silentLogger() });
    const gzip = await verifyGzipImages(backupRoot, [ip]);
    return [...chunked.problems, ...gzip.problems];
  } finally {
    await pool.close();
  }
}

/** The box's spooled status (`<backup>/<ip>/status.yaml`), if readable. */
export async function spooled(backupRoot: string, ip: string): Promise<TestboxStatus | undefined> {
  return (await readSpooledStatus(backupRoot, ip)).status;
}

/** Temp and pending files anywhere under `dir` (`.x.tmp-*`, `*.next`): count, bytes and names. */
export async function leftovers(dir: string): Promise<{ count: number; bytes: number; names: string[] }> {
  const out = { count: 0, bytes: 0, names: [] as string[] };
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.tmp-|\.next$/.test(e.name)) {
        out.count++;
        out.bytes += (await stat(p).catch(() => ({ size: 0 }))).size;
        out.names.push(p.slice(dir.length + 1));
      }
    }
  };
  await walk(dir);
  return out;
}
