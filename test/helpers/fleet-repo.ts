import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { ADMIN, git, REVIEWER } from './git.js';

/** A fleet repo for tests: a bare "remote" and an admin's clone beside it. */
export interface FleetRepo {
  bare: string;
  work: string;
  /** Write files (path -> YAML value, raw string, or null to delete), commit and push. Returns the commit. */
  commit(files: Record<string, unknown>, message: string, who?: typeof ADMIN): Promise<string>;
  /** Commit on a branch and merge it with --no-ff as a forge would ("Merge pull request #n"). */
  mergePr(n: number, files: Record<string, unknown>, title: string): Promise<string>;
  /** Pull the remote into the admin's clone (to see the agents' and reconciler's commits). */
  pull(): Promise<void>;
  /** `git log --oneline` of the remote's main branch. */
  log(): Promise<string[]>;
}

/** The seed's example site (TestBoxImaging.txt / testbox-pxe-conf.sh constants). */
export function seedSite(policy: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'tbx/v1',
    kind: 'Site',
    boot: { nfsServer: '10.165.98.101', gateway: '10.165.98.1', netmask: '255.255.254.0', ethDevice: 'eth0', ipConfig: 'static' },
    ...(Object.keys(policy).length ? { policy } : {}),
  };
}

/** A testbox document. */
export function box(name: string, ip: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'tbx/v1', kind: 'Testbox', name, ip, ...extra };
}

/**
 * Create a bare repo in `root/fleet.git` and a clone in `root/admin`, with `files`
 * committed as the first commit. Values that are not strings are written as YAML.
 */
export async function makeFleetRepo(root: string, files: Record<string, unknown>): Promise<FleetRepo> {
  const bare = join(root, 'fleet.git');
  const work = join(root, 'admin');
  await mkdir(work, { recursive: true });
  await git(root, ['init', '--quiet', '--bare', bare]);
  await git(work, ['init', '--quiet']);
  await git(work, ['remote', 'add', 'origin', bare]);
  const write = async (fs: Record<string, unknown>) => {
    for (const [path, value] of Object.entries(fs)) {
      const full = join(work, path);
      if (value === null) {
        await rm(full, { force: true });
        continue;
      }
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, typeof value === 'string' || value instanceof Uint8Array ? value : stringify(value));
    }
  };
  const repo: FleetRepo = {
    bare,
    work,
    async commit(fs, message, who = ADMIN) {
      await git(work, ['pull', '--quiet', '--rebase', 'origin', 'main']).catch(() => undefined);
      await write(fs);
      await git(work, ['add', '--all'], who);
      await git(work, ['commit', '--quiet', '--allow-empty', '-m', message], who);
      await git(work, ['push', '--quiet', 'origin', 'HEAD:main'], who);
      return git(work, ['rev-parse', 'HEAD']);
    },
    async mergePr(n, fs, title) {
      await git(work, ['pull', '--quiet', '--rebase', 'origin', 'main']);
      const branch = `pr-${n}`;
      await git(work, ['checkout', '--quiet', '-b', branch]);
      await write(fs);
      await git(work, ['add', '--all']);
      await git(work, ['commit', '--quiet', '-m', title], ADMIN);
      await git(work, ['checkout', '--quiet', 'main']);
      await git(work, ['merge', '--quiet', '--no-ff', '-m', `Merge pull request #${n} from lab/${branch}`, branch], REVIEWER);
      await git(work, ['push', '--quiet', 'origin', 'main'], REVIEWER);
      return git(work, ['rev-parse', 'HEAD']);
    },
    async pull() {
      await git(work, ['pull', '--quiet', '--rebase', 'origin', 'main']);
    },
    async log() {
      return (await git(bare, ['log', '--oneline', '--format=%s', 'main'])).split('\n').filter(Boolean);
    },
  };
  await write(files);
  await git(work, ['add', '--all']);
  await git(work, ['commit', '--quiet', '-m', 'initial fleet']);
  await git(work, ['push', '--quiet', 'origin', 'HEAD:main']);
  return repo;
}
