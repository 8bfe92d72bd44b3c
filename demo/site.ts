import { access, copyFile, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { packageRoot } from '../lib/package-root.js';
import { BACKUP_MARKER } from '../share/layout.js';
import { makeDisk } from './disks.js';
import type { SimBox } from './pxe-boot.js';

/** A throwaway site: a bare fleet repo, an admin's clone, the two shares and simulated boxes. */
export interface DemoSite {
  root: string;
  bare: string;
  admin: string;
  tftp: string;
  backup: string;
  state: string;
  boxes: SimBox[];
}

/** People of the demo lab, for commits that read like a real team's. */
export const PEOPLE = {
  alice: { name: 'Alice Admin', email: 'alice@lab.example' },
  bob: { name: 'Bob Reviewer', email: 'bob@lab.example' },
};

/** The disks each example box gets, and their size. */
const DISKS: Record<string, string[]> = { 'tb-linux-01': ['sda'], 'tb-linux-02': ['sda'], 'tb-win-01': ['sda', 'sdb'] };
const DISK_BYTES = 48 * 1024 * 1024;

/**
 * Build the demo site under `root`: a bare repo seeded from `fleet/example/` (with the JSON
 * Schemas under `.tbx/schema/`), a TFTP root with PXELINUX (Debian's, if installed) and a
 * backup share with its marker, plus file-backed disks for the three example boxes.
 */
export async function createSite(root: string): Promise<DemoSite> {
  const site: DemoSite = { root, bare: join(root, 'fleet.git'), admin: join(root, 'admin-checkout'), tftp: join(root, 'tftp'), backup: join(root, 'backup'), state: join(root, 'state'), boxes: [] };
  const pkg = packageRoot();
  await mkdir(join(site.tftp, 'pxelinux.cfg'), { recursive: true });
  await mkdir(site.backup, { recursive: true });
  await mkdir(site.state, { recursive: true });
  await writeFile(join(site.backup, BACKUP_MARKER), 'tbx demo backup share\n');
  const real = '/usr/lib/PXELINUX/pxelinux.0';
  if (await access(real).then(() => true, () => false)) await copyFile(real, join(site.tftp, 'pxelinux.0'));
  else await writeFile(join(site.tftp, 'pxelinux.0'), 'placeholder: install Debian\'s pxelinux package for the real file\n');

  await execa('git', ['init', '--quiet', '--bare', '--initial-branch=main', site.bare]);
  await cp(join(pkg, 'fleet', 'example'), site.admin, { recursive: true, dereference: true });
  await git(site.admin, ['init', '--quiet', '--initial-branch=main']);
  await git(site.admin, ['add', '--all']);
  await git(site.admin, ['commit', '--quiet', '-m', 'Add the lab: site and three testboxes'], PEOPLE.alice);
  await git(site.admin, ['remote', 'add', 'origin', site.bare]);
  await git(site.admin, ['push', '--quiet', '--set-upstream', 'origin', 'main']);

  for (const file of (await readdir(join(site.admin, 'testboxes'))).sort()) {
    const { name, ip } = parse(await readFile(join(site.admin, 'testboxes', file), 'utf8')) as { name: string; ip: string };
    const box: SimBox = { name, ip, root: join(root, 'boxes', name) };
    for (const dev of DISKS[name] ?? ['sda']) await makeDisk(join(box.root, 'dev'), join(box.root, 'sys', 'block'), dev, DISK_BYTES, `${name}/${dev}`);
    await mkdir(join(box.root, 'sys', 'firmware', 'dmi'), { recursive: true });
    await writeFile(join(box.root, 'sys', 'firmware', 'dmi', 'product_name'), `Demo ${name}\n`);
    site.boxes.push(box);
  }
  return site;
}

/** Run git in `dir` as `who` (author and committer), with no global config or signing. */
export async function git(dir: string, args: string[], who = PEOPLE.alice): Promise<string> {
  const env = { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email, GIT_CONFIG_NOSYSTEM: '1' };
  const r = await execa('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, env });
  return r.stdout;
}
