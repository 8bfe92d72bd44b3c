import { lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { isOwnDefault } from '../pxe/marker.js';
import { renderDefaultConfig } from '../pxe/render.js';
import { BACKUP_MARKER } from '../share/layout.js';

/** Where PXELINUX comes from (Debian's pxelinux and syslinux-common packages) and where it goes. */
export interface InitSiteOptions {
  tftp: string;
  backup: string;
  /** Holds pxelinux.0 (Debian: /usr/lib/PXELINUX). */
  pxelinuxDir: string;
  /** Holds bios/, efi32/, efi64/ (Debian: /usr/lib/syslinux/modules). */
  modulesDir: string;
  /** Report what would change without writing. */
  dryRun?: boolean;
}

/** What happened to one path. `refused` means tbx would not touch it; the caller fails. */
export interface InitStep {
  share: 'tftp' | 'backup';
  path: string;
  result: 'created' | 'updated' | 'unchanged' | 'kept' | 'refused';
  detail: string;
}

/** The module variants the seed copies. */
export const MODULE_VARIANTS = ['bios', 'efi32', 'efi64'] as const;

/**
 * Prepare a storage server's shares the way the seed's setup notes do, idempotently:
 * `pxelinux.0` and every variant's `ldlinux.*` in the TFTP root, the `bios/`, `efi32/`
 * and `efi64/` module trees, `pxelinux.cfg/default` for local boot (only when missing, or
 * when tbx wrote it; a foreign one is kept if it boots the local disk, else refused), and
 * the backup share's `testbox-backup` marker. Files already identical are left alone.
 */
export async function initSite(o: InitSiteOptions): Promise<InitStep[]> {
  const steps: InitStep[] = [];
  const write = async (share: InitStep['share'], root: string, rel: string, content: Buffer | string, detail: string) => {
    const path = join(root, rel);
    const current = await readFile(path).catch(() => null);
    const next = Buffer.isBuffer(content) ? content : Buffer.from(content);
    if (current?.equals(next)) return steps.push({ share, path: rel, result: 'unchanged', detail });
    if (!o.dryRun) {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFileAtomic(path, next, { root });
    }
    return steps.push({ share, path: rel, result: current ? 'updated' : 'created', detail });
  };
  for (const [share, root] of [['tftp', o.tftp], ['backup', o.backup]] as const) {
    if (!(await lstat(root).catch(() => undefined))) {
      if (!o.dryRun) await mkdir(root, { recursive: true });
      steps.push({ share, path: '.', result: 'created', detail: 'directory' });
    }
  }
  await write('tftp', o.tftp, 'pxelinux.0', await readFile(join(o.pxelinuxDir, 'pxelinux.0')), `from ${join(o.pxelinuxDir, 'pxelinux.0')}`);
  for (const v of MODULE_VARIANTS) {
    const dir = join(o.modulesDir, v);
    for (const name of (await readdir(dir)).filter((n) => n.startsWith('ldlinux.')).sort()) {
      await write('tftp', o.tftp, name, await readFile(join(dir, name)), `from ${join(dir, name)}`);
    }
  }
  for (const v of MODULE_VARIANTS) {
    const before = steps.length;
    for (const rel of await filesUnder(join(o.modulesDir, v))) await write('tftp', o.tftp, join(v, rel), await readFile(join(o.modulesDir, v, rel)), '');
    const mine = steps.splice(before);
    const changed = mine.filter((s) => s.result !== 'unchanged');
    const result = !changed.length ? 'unchanged' : changed.every((s) => s.result === 'created') ? 'created' : 'updated';
    steps.push({ share: 'tftp', path: `${v}/`, result, detail: `${changed.length ? `${changed.length} of ` : ''}${mine.length} files from ${join(o.modulesDir, v)}` });
  }
  const defPath = join(o.tftp, 'pxelinux.cfg', 'default');
  const def = await readFile(defPath, 'utf8').catch(() => null);
  if (def === null || isOwnDefault(def)) await write('tftp', o.tftp, 'pxelinux.cfg/default', renderDefaultConfig(), 'local boot for every box without its own file');
  else if (bootsLocalDisk(def)) steps.push({ share: 'tftp', path: 'pxelinux.cfg/default', result: 'kept', detail: 'not written by tbx; it boots the local disk, so it is left as it is' });
  else steps.push({ share: 'tftp', path: 'pxelinux.cfg/default', result: 'refused', detail: 'not written by tbx and it does not boot the local disk; tbx will not overwrite it: check it, move it away and run again' });
  if (!(await lstat(join(o.backup, BACKUP_MARKER)).catch(() => undefined))) {
    await write('backup', o.backup, BACKUP_MARKER, 'testbox backup share: this file proves the share is mounted (tbx, testbox-maintenance)\n', 'marker file');
  } else steps.push({ share: 'backup', path: BACKUP_MARKER, result: 'unchanged', detail: 'marker file' });
  return steps;
}

/** True when a PXELINUX config's DEFAULT label is a LOCALBOOT one (the seed's default). */
export function bootsLocalDisk(cfg: string): boolean {
  const lines = cfg.split('\n').map((l) => l.trim());
  const label = /^DEFAULT\s+(\S+)/i.exec(lines.find((l) => /^DEFAULT\s/i.test(l)) ?? '')?.[1];
  if (!label) return false;
  const start = lines.findIndex((l) => new RegExp(`^LABEL\\s+${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'i').test(l));
  if (start < 0) return false;
  for (const l of lines.slice(start + 1)) {
    if (/^LABEL\s/i.test(l)) return false;
    if (/^LOCALBOOT(\s|$)/i.test(l)) return true;
  }
  return false;
}

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = join(prefix, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}
